"""Runs a command in a pseudo-terminal, as a user's shell would, and types Ctrl-C once.

Usage: python3 pty-run.py '<argv as JSON>' '<regex>' <timeout seconds>
Sends the byte 0x03 (what a terminal sends for Ctrl-C) once the output matches the regex, then
reads until the command exits. Prints one JSON object: exitCode, sent, output, and, taken just
before Ctrl-C, the terminal's foreground process group and the command's processes (pid,
process group, command): the terminal sends SIGINT to that group only.
"""
import fcntl
import json
import os
import pty
import re
import select
import struct
import sys
import termios
import time

argv = json.loads(sys.argv[1])
trigger = re.compile(sys.argv[2].encode())
timeout = float(sys.argv[3])

pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
# A terminal of 24 rows and 100 columns, as a user's would be (a new pty has 0 x 0).
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))

def descendants(root):
    """The process `root` and all its descendants, from /proc: [{pid, pgid, command}]."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            continue
        # The fields after the command name (which may hold spaces, within parentheses).
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry)] = {"pid": int(entry), "ppid": int(fields[1]), "pgid": int(fields[2]), "command": command}
    found, frontier = [], [root]
    while frontier:
        current = frontier.pop()
        if current in table:
            found.append({k: table[current][k] for k in ("pid", "pgid", "command")})
        frontier.extend(p for p, info in table.items() if info["ppid"] == current)
    return found


output = b""
sent = False
foreground = None
processes = []
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        output += data
    if not sent and trigger.search(output):
        foreground = os.tcgetpgrp(fd)
        processes = descendants(pid)
        os.write(fd, b"\x03")
        sent = True
else:
    os.kill(pid, 9)

_, status = os.waitpid(pid, 0)
result = {"exitCode": os.waitstatus_to_exitcode(status), "sent": sent, "output": output.decode("utf-8", "replace")}
print(json.dumps({**result, "foreground": foreground, "processes": processes}))
