"""The smoke run's network: `lo` of a new network namespace (it starts down), brought up, with one
address per pod on it. No iproute2 is needed: the kernel's interface ioctls do it.

Pods get addresses of their own, not 127.0.0.1, because a server may trust loopback (the official
PostgreSQL image lets 127.0.0.1 in without a password); a connection from another pod's address
is judged as it would be in a cluster.
"""
from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
SIOCSIFADDR = 0x8916
SIOCSIFNETMASK = 0x891C
IFF_UP = 0x1
IFREQ_FLAGS = "16sH14x"  # struct ifreq: interface name, then ifr_flags in the union
POD_NETWORK = ipaddress.ip_network("10.244.0.0/24")


def _ifreq_address(name: str, address: str) -> bytes:
    """struct ifreq with a struct sockaddr_in in its union."""
    return struct.pack("16sH2s4s8x", name.encode(), socket.AF_INET, b"\0\0", socket.inet_aton(address))


def bring_up_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack(IFREQ_FLAGS, b"lo", 0)
        _, flags = struct.unpack(IFREQ_FLAGS, fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, request))
        fcntl.ioctl(sock.fileno(), SIOCSIFFLAGS, struct.pack(IFREQ_FLAGS, b"lo", flags | IFF_UP))


def add_pod_address(index: int) -> str:
    """Puts the index-th address of the pod network on `lo` (as alias lo:<index>) and returns it."""
    address = str(POD_NETWORK[10 + index])
    alias = f"lo:{index}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock.fileno(), SIOCSIFADDR, _ifreq_address(alias, address))
        fcntl.ioctl(sock.fileno(), SIOCSIFNETMASK, _ifreq_address(alias, "255.255.255.255"))
    return address
