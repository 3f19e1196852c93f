"""The help screen: every screen's keys, in one place."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# opdesk

**Screens**: `i` inbox · `b` status board · `u` unparsed messages · `D` dashboard · `ctrl+p` commands · `ctrl+t` dark/light · `f1` or `?` this help · `ctrl+q` quit

## Inbox
| Key | Does |
|---|---|
| `/` | search voucher or guest name (`esc` back to the table) |
| `1` `2` `3` `4` | pending · confirmed · rejected · all |
| `enter` | open the reservation |
| `space` | mark a row for a bulk action |
| `c` | confirm the marked rows, else this row (asks first) |
| `x` | reject with a reason (asks first) |
| `s` | save into the hotel book only |
| `A` | confirm every clean pending row (of the operator filter) |
| `m` | map a missing (red) code |
| `f` | filter: operator, content, created and stay dates, clean only |
| `o` | next operator · `t` next sort · `r` reverse sort |
| `[` `]` | previous / next page |

**Map** column: `R`oom `B`oard ra`T`e — green mapped, red missing.
**Checks** column: `P`rice `I` values (impossible numbers or dates) `S`top-sale `V`oucher re`L`ease `O`verbooking — green ok, yellow warn, red fail, grey skipped.
A failed values or stop-sale check holds the row: confirming or saving it asks for the reason of the override.

## Reservation
`c` confirm · `x` reject · `s` save · `m` map · `w` forecast · `d` raw message · `o` documents · `a` ask managers to approve · `esc` back

## Status board
`s` scan the focused operator · `a` scan all · `p` pause / resume the focused operator · `P` pause / resume all · `enter` its inbox · arrows move

A paused operator is skipped by every scan (here, `opdesk scan`, cron) until resumed, also after a restart.

## Forecast
`r` next room type · `[` `]` a week earlier / later

## Agencies (`g`)
`e` edit the agency's rate codes, price model and child bands · `n` new agency · `esc` back

## Dashboard
`p` 7, 30 or 90 days · `[` `]` a period earlier / later · `r` count again · `esc` back
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
