#!/usr/bin/env python3
"""A minimal SNTP server for the emulated device: answers every request with this machine's clock (stratum 1).

QEMU's user network has no time service; the firmware asks 192.168.1.2:123 by default, which QEMU maps to this
machine's 127.0.0.1:123 (port 123 needs root, or a private network namespace as tests/qemu/device-e2e uses; build
the firmware with TRYFER_NTP=192.168.1.2:PORT to use another port).

    python3 tests/qemu/ntp-responder.py [--port 123] [--bind 127.0.0.1]
"""

import argparse
import socket
import struct
import time

NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900 (NTP's era 0) to 1970


def stamp(unix_seconds: float) -> bytes:
    """An NTP timestamp: 32 bits of seconds since 1900, 32 bits of fraction."""
    whole = int(unix_seconds)
    fraction = int((unix_seconds - whole) * 2**32) & 0xFFFFFFFF
    return struct.pack("!II", (whole + NTP_UNIX_OFFSET) & 0xFFFFFFFF, fraction)


def answer(request: bytes, received: float) -> bytes:
    """The server's reply to a client's 48-byte request."""
    version = (request[0] >> 3) & 7 or 4
    reply = bytearray(48)
    reply[0] = (version << 3) | 4  # leap indicator 0, the client's version, mode 4 (server)
    reply[1] = 1  # stratum 1: a reference clock (this machine's)
    reply[2] = request[2]  # poll interval, echoed
    reply[3] = 0xEC  # precision 2^-20 s
    reply[12:16] = b"LOCL"  # reference id
    reply[16:24] = stamp(received - 1)  # reference time
    reply[24:32] = request[40:48]  # origin: the client's transmit time, which the client checks
    reply[32:40] = stamp(received)  # receive time
    reply[40:48] = stamp(time.time())  # transmit time
    return bytes(reply)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=123)
    parser.add_argument("--bind", default="127.0.0.1")
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    print(f"ntp-responder: listening on {args.bind}:{args.port}", flush=True)
    while True:
        request, peer = sock.recvfrom(512)
        received = time.time()
        if len(request) < 48:
            continue
        sock.sendto(answer(request, received), peer)
        print(f"ntp-responder: answered {peer[0]}:{peer[1]}", flush=True)


if __name__ == "__main__":
    main()
