"""One judgement of "open to the internet" for sets of CIDRs, shared by the stack settings loader,
the pack's rules and `verify`, so the three can never disagree.

A set of networks is open when any one of them is broader than a minimum prefix (default /8 for
IPv4, /32 for IPv6) or when together they cover a whole address space: 0.0.0.0/1 plus 128.0.0.0/1
is the internet in two halves, and four quarters are too. IPv4-mapped IPv6 (::ffff:0:0/96) counts
as the IPv4 network it maps. A CIDR that does not parse cannot be proven closed, so it is reported.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable, Union

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

MIN_PREFIX_V4 = 8
MIN_PREFIX_V6 = 32
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_EVERYTHING = {4: ipaddress.IPv4Network("0.0.0.0/0"), 6: ipaddress.IPv6Network("::/0")}


def parse(cidr: object) -> Network | None:
    """The network a CIDR names (host bits ignored, as AWS and Kubernetes do), IPv4-mapped IPv6 as
    IPv4; None when it is not a CIDR."""
    if not isinstance(cidr, str):
        return None
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96 and network.subnet_of(_MAPPED):
        mapped = int(network.network_address) & 0xFFFFFFFF
        return ipaddress.IPv4Network((mapped, network.prefixlen - 96))
    return network


def open_reasons(cidrs: Iterable[object], min_prefix_v4: int = MIN_PREFIX_V4, min_prefix_v6: int = MIN_PREFIX_V6) -> list[str]:
    """Why this set of networks is open to the internet (or cannot be judged); empty when it is not."""
    reasons: list[str] = []
    by_version: dict[int, list[Network]] = {4: [], 6: []}
    for cidr in cidrs:
        network = parse(cidr)
        if network is None:
            reasons.append(f"{cidr!r} is not a network in CIDR form")
            continue
        minimum = min_prefix_v4 if network.version == 4 else min_prefix_v6
        if network.prefixlen == 0:
            reasons.append(f"{cidr!r} is the whole internet")
        elif network.prefixlen < minimum:
            reasons.append(f"{cidr!r} is broader than /{minimum}")
        by_version[network.version].append(network)
    for version, networks in by_version.items():
        collapsed = list(ipaddress.collapse_addresses(networks)) if networks else []
        if collapsed == [_EVERYTHING[version]] and not any(n.prefixlen == 0 for n in networks):
            shown = ", ".join(str(n) for n in sorted(networks))
            reasons.append(f"together {shown} cover every IPv{version} address")
    return reasons


def is_open(cidrs: Iterable[object], min_prefix_v4: int = MIN_PREFIX_V4, min_prefix_v6: int = MIN_PREFIX_V6) -> bool:
    return bool(open_reasons(cidrs, min_prefix_v4, min_prefix_v6))
