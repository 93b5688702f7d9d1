"""The rule config of "open to the internet": the minimum prefixes, so an environment can tighten
them. The judgement itself is policies.networks, shared with the stack settings loader and `verify`."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from policies.networks import MIN_PREFIX_V4, MIN_PREFIX_V6, open_reasons
from policies.rule import config_value

MIN_PREFIX_CONFIG = {
    "minPrefixV4": {"type": "integer", "default": MIN_PREFIX_V4, "minimum": 0, "maximum": 32,
                    "description": "Shortest IPv4 prefix a source network may have (a broader one is the internet)."},
    "minPrefixV6": {"type": "integer", "default": MIN_PREFIX_V6, "minimum": 0, "maximum": 128,
                    "description": "Shortest IPv6 prefix a source network may have (a broader one is the internet)."},
}


def open_network_reasons(cidrs: Iterable[Any], config: Mapping[str, Any]) -> list[str]:
    """Why these networks, taken together, are open to the internet under the rule's config."""
    # Config reaches the rule as a protobuf Struct, so integers arrive as floats.
    v4 = int(config_value(config, MIN_PREFIX_CONFIG, "minPrefixV4"))
    v6 = int(config_value(config, MIN_PREFIX_CONFIG, "minPrefixV6"))
    return open_reasons(cidrs, v4, v6)
