"""Files only the hotel's own user may read: the store, the config, documents, keys.

Bookings carry guests' names, passports and flights, and the keys can mint
approval codes and seal the audit log; a 0644 store on a shared host hands all
of that to every local account. So whatever the umask says, opdesk creates its
folders 0700 and its files 0600 through these functions (issue 15), and
``exposed`` finds those that others can read, for ``opdesk doctor``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
"""Read and write for the owner only."""
DIR_MODE = 0o700
"""Enter, list and create for the owner only."""


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) as 0700 folders; a folder that exists already is left as it is."""
    missing = []
    for folder in [path, *path.parents]:
        if folder.exists():
            break
        missing.append(folder)
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        os.chmod(folder, DIR_MODE)  # mkdir's mode is cut by the umask; chmod is not
    return path


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty and 0600 if it does not exist yet; True when this call made it."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def write_private(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` as a 0600 file, whole or not at all (a temporary file, then a rename).

    ``durable``: on the disk before this returns (fsync); without it the file may be the one before
    it after a power cut, never half of one.
    """
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, data)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def exposed(path: Path) -> str:
    """Why others can get at ``path`` ("" when they cannot, or it does not exist): its mode, said plainly."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return ""
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return ""
    kind = "folder" if stat.S_ISDIR(mode) else "file"
    return f"{kind} mode {stat.S_IMODE(mode):04o}: readable by others (chmod {'700' if kind == 'folder' else '600'})"
