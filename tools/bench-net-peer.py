#!/usr/bin/env python3
"""UDP peers for tools/bench-net.sh; each mode is bounded in time and count.

  echo PORT SECONDS                 answer each datagram with itself
  pingpong HOST PORT N              N round trips; prints one RTT (us) a line
  count PORT IDLE_S MAX_S           count datagrams until IDLE_S without one
  blast HOST PORT N                 N datagrams, paced in bursts of 50
  seqsend HOST PORT SECONDS         one datagram a ms (its sequence number);
                                    prints "seq send_time_ns" a line
  seqrecv PORT IDLE_S MAX_S         prints the sequence numbers received
"""
import socket
import sys
import time

SO_RCVBUFFORCE = 33


def sock(port=None, timeout=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:  # root: past rmem_max, so a burst is not lost to a full buffer
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    except OSError:
        pass
    if port is not None:
        s.bind(("0.0.0.0", port))
    s.settimeout(timeout)
    return s


def echo(port, seconds):
    s = sock(port, 0.2)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            data, addr = s.recvfrom(2048)
        except socket.timeout:
            continue
        s.sendto(data, addr)


def pingpong(host, port, n):
    s = sock(timeout=1.0)
    s.connect((host, port))
    for i in range(n):
        msg = i.to_bytes(4, "big")
        t0 = time.monotonic_ns()
        s.send(msg)
        try:
            while s.recv(64) != msg:  # a late answer to an earlier ping
                pass
        except socket.timeout:
            print("lost", flush=True)
            continue
        print((time.monotonic_ns() - t0) / 1000.0, flush=True)


def count(port, idle, max_s):
    s = sock(port, idle)
    n = 0
    end = time.monotonic() + max_s
    while time.monotonic() < end:
        try:
            s.recv(2048)
        except socket.timeout:
            if n:
                break
            continue
        n += 1
    print(n)


def blast(host, port, n):
    s = sock()
    s.connect((host, port))
    payload = b"x" * 64
    for i in range(n):
        s.send(payload)
        if i % 50 == 49:
            time.sleep(0.001)
    print(n)


def seqsend(host, port, seconds):
    s = sock()
    s.connect((host, port))
    out = []
    start = time.monotonic_ns()
    nxt = start
    seq = 0
    while nxt - start < seconds * 1e9:
        delay = (nxt - time.monotonic_ns()) / 1e9
        if delay > 0:
            time.sleep(delay)
        out.append((seq, time.time_ns()))
        try:
            s.send(seq.to_bytes(4, "big"))
        except OSError:
            pass
        seq += 1
        nxt += 1_000_000
    sys.stdout.write("".join(f"{q} {t}\n" for q, t in out))


def seqrecv(port, idle, max_s):
    s = sock(port, idle)
    got = []
    end = time.monotonic() + max_s
    while time.monotonic() < end:
        try:
            data = s.recv(64)
        except socket.timeout:
            if got:
                break
            continue
        got.append(int.from_bytes(data[:4], "big"))
    sys.stdout.write("".join(f"{q}\n" for q in got))


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    mode = a[0]
    if mode == "echo":
        echo(int(a[1]), float(a[2]))
    elif mode == "pingpong":
        pingpong(a[1], int(a[2]), int(a[3]))
    elif mode == "count":
        count(int(a[1]), float(a[2]), float(a[3]))
    elif mode == "blast":
        blast(a[1], int(a[2]), int(a[3]))
    elif mode == "seqsend":
        seqsend(a[1], int(a[2]), float(a[3]))
    elif mode == "seqrecv":
        seqrecv(int(a[1]), float(a[2]), float(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
