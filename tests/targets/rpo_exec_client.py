#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# An exec: client for `faultline rpo` (docs/rpo-exec-protocol.md), storing records in a plain file.
import os, sys
path = sys.argv[1]
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
for line in sys.stdin:
    op, *args = line.split()
    if op == "PING": out = "PONG"
    elif op == "RESET": os.ftruncate(fd, 0); os.fsync(fd); out = "OK"
    elif op == "W":
        try: os.write(fd, f"{args[0]} {args[1]}\n".encode()); os.fsync(fd); out = f"OK {args[0]}"
        except OSError as e: out = f"UNKNOWN {args[0]} {e}"
    elif op == "READ":
        with open(path) as f: out = "".join(f"R {l}" for l in f if l.endswith("\n")) + "END"
    else: out = "ERR unknown request"
    print(out, flush=True)
