"""Runs a command in a pseudo-terminal, as a user's shell would, and types Ctrl-C once.

Usage: python3 pty-run.py '<argv as JSON>' '<regex>' <timeout seconds>
Sends the byte 0x03 (what a terminal sends for Ctrl-C) once the output matches the regex, then
reads until the command exits. Prints one JSON object: exitCode, sent, output.
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

output = b""
sent = False
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
        os.write(fd, b"\x03")
        sent = True
else:
    os.kill(pid, 9)

_, status = os.waitpid(pid, 0)
print(json.dumps({"exitCode": os.waitstatus_to_exitcode(status), "sent": sent, "output": output.decode("utf-8", "replace")}))
