"""scan --watch: between rounds, a mailbox that can IDLE wakes the next round as soon as mail arrives."""

from __future__ import annotations

import asyncio

from connectors.scan import until_next_round


def test_the_wait_between_rounds_ends_when_mail_arrives(mail_config, mail_arriving):
    with mail_arriving("jolly_new"):
        # The round would otherwise wait ten minutes; the guard only stops a broken IDLE hanging the suite.
        asyncio.run(asyncio.wait_for(until_next_round(mail_config, ["mailbox"], 600), timeout=60))


def test_without_mailboxes_the_wait_is_a_plain_pause(config):
    config.data["operators"] = [{"name": "drop", "kind": "folder", "path": "."}]
    asyncio.run(until_next_round(config, None, 0.05))
