"""The part of Kyverno's validation engine the generated ClusterPolicies use, ported from Kyverno's
own code so a test can ask what admission would answer for a manifest.

Ported: rule selection by kind, exclusion by kind, namespace and name; rules Kyverno generates for
pod controllers (pkg/autogen: the pattern moved under spec.template or spec.jobTemplate.spec.template, and
request.object.spec/metadata rewritten in every expression); preconditions; validate.pattern and
anyPattern with the equality =() and negation X() anchors (pkg/engine/validate, anchor); string
patterns with | alternatives, ! negation, comparisons and wildcards (pkg/engine/pattern); deny and
foreach deny with {{ }} JMESPath variables, Kyverno's JMESPath functions regex_match and items, and
the operators Equals, NotEquals, AnyNotIn and GreaterThan (pkg/engine/variables/operator).

Anything else raises Unsupported, and a variable that resolves to nothing raises Unresolved (Kyverno
reports an error there, not a pass): a policy this module cannot read fails its test.
"""
from __future__ import annotations

import json
import re
from typing import Any

import jmespath
from jmespath import functions

POD_CONTROLLERS = ("DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController")
CRONJOB = "CronJob"
AUTOGEN_ANNOTATION = "pod-policies.kyverno.io/autogen-controllers"
# pkg/autogen/v1/rule.go: what the generated rules read instead of a Pod's fields.
REWRITES = {
    "controller": (("request.object.spec", "request.object.spec.template.spec"),
                   ("request.object.metadata", "request.object.spec.template.metadata")),
    CRONJOB: (("request.object.spec", "request.object.spec.jobTemplate.spec.template.spec"),
              ("request.object.metadata", "request.object.spec.jobTemplate.spec.template.metadata")),
}
VARIABLE = re.compile(r"\{\{((?:\{[^{}]*\}|[^{}])*)\}\}")
DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class Unsupported(Exception):
    """A policy feature this port does not implement."""


class Unresolved(Exception):
    """A {{ }} variable that resolves to null: Kyverno reports the rule as an error."""


def failed_rules(policy: dict, resource: dict, operation: str = "CREATE") -> list[str]:
    """Names of the policy's rules (generated ones included) that refuse the resource."""
    context = {"request": {"object": resource, "operation": operation}}
    return [rule["name"] for rule in _rules_for(policy, resource) if not _passes(rule, context)]


def applies(policy: dict, resource: dict) -> bool:
    """Whether any rule of the policy, generated ones included, judges this resource."""
    return bool(_rules_for(policy, resource))


# --- Which rules judge a resource --------------------------------------------------------------------

def _rules_for(policy: dict, resource: dict) -> list[dict]:
    kind = resource["kind"]
    rules = policy["spec"]["rules"]
    found = [r for r in rules if kind in _kinds(r)]
    if kind in POD_CONTROLLERS + (CRONJOB,) and _autogen(policy):
        found += [_generated(r, kind) for r in rules]
    return [r for r in found if not _excluded(r, resource)]


def _kinds(rule: dict) -> list[str]:
    return [k for entry in rule["match"]["any"] for k in entry["resources"]["kinds"]]


def _autogen(policy: dict) -> bool:
    """Kyverno generates controller rules when every rule matches Pods alone and the policy does not opt out."""
    if policy["metadata"].get("annotations", {}).get(AUTOGEN_ANNOTATION) == "none":
        return False
    return all(_kinds(rule) == ["Pod"] for rule in policy["spec"]["rules"])


def _in_template(pattern: dict, kind: str) -> dict:
    """A Pod pattern moved to where the controller keeps its pod template."""
    if kind == CRONJOB:
        return {"spec": {"jobTemplate": {"spec": {"template": pattern}}}}
    return {"spec": {"template": pattern}}


def _generated(rule: dict, kind: str) -> dict:
    """The rule Kyverno generates from a Pod rule for this controller kind."""
    if "validate" not in rule:
        raise Unsupported(f"rule {rule['name']}: only validate rules are ported")
    validate = dict(rule["validate"])
    if "pattern" in validate:
        validate["pattern"] = _in_template(validate["pattern"], kind)
    if "anyPattern" in validate:
        validate["anyPattern"] = [_in_template(p, kind) for p in validate["anyPattern"]]
    prefix = "autogen-cronjob-" if kind == CRONJOB else "autogen-"
    text = json.dumps({**rule, "name": (prefix + rule["name"])[:63], "validate": validate})
    for old, new in REWRITES[CRONJOB if kind == CRONJOB else "controller"]:
        text = text.replace(old, new)
    return json.loads(text)


def _excluded(rule: dict, resource: dict) -> bool:
    """An exclude entry describes a resource by kinds, namespaces and names; each listed one must match."""
    metadata = resource.get("metadata", {})
    fields = {"kinds": resource["kind"], "namespaces": metadata.get("namespace"), "names": metadata.get("name")}
    for entry in rule.get("exclude", {}).get("any", []):
        described = entry["resources"]
        if set(described) - set(fields):
            raise Unsupported(f"exclude by {sorted(described)}")
        if all(fields[key] in listed for key, listed in described.items()):
            return True
    return False


# --- A rule's verdict --------------------------------------------------------------------------------

def _passes(rule: dict, context: dict) -> bool:
    if "preconditions" in rule and not _conditions_hold(rule["preconditions"], context):
        return True
    validate = rule.get("validate")
    if validate is None:
        raise Unsupported(f"rule {rule['name']}: only validate rules are ported")
    if "pattern" in validate:
        return _matches(context["request"]["object"], validate["pattern"])
    if "anyPattern" in validate:
        return any(_matches(context["request"]["object"], p) for p in validate["anyPattern"])
    if "deny" in validate:
        return not _conditions_hold(validate["deny"]["conditions"], context)
    if "foreach" in validate:
        return all(_foreach_passes(each, context) for each in validate["foreach"])
    raise Unsupported(f"rule {rule['name']}: validate.{', '.join(validate)}")


def _foreach_passes(each: dict, context: dict) -> bool:
    elements = _query(each["list"], context)
    if elements is None:
        raise Unresolved(each["list"])
    for index, element in enumerate(elements):
        scoped = {**context, "element": element, "elementIndex": index}
        if _conditions_hold(each["deny"]["conditions"], scoped):
            return False
    return True


def _conditions_hold(conditions: dict, context: dict) -> bool:
    if set(conditions) - {"any", "all"}:
        raise Unsupported(f"conditions {sorted(conditions)}")
    checks = {name: [_condition(c, context) for c in conditions.get(name, [])] for name in ("any", "all")}
    return all(checks["all"]) and (not conditions.get("any") or any(checks["any"]))


def _condition(condition: dict, context: dict) -> bool:
    key = _substitute(condition["key"], context)
    value = _substitute(condition.get("value"), context)
    operator = condition["operator"]
    if operator == "Equals":
        return _equals(key, value)
    if operator == "NotEquals":
        return not _equals(key, value)
    if operator == "AnyNotIn":
        return _any_not_in(key, value)
    if operator == "GreaterThan":
        return _number(key) > _number(value)
    raise Unsupported(f"operator {operator}")


def _equals(key: Any, value: Any) -> bool:
    """operator/equal.go: same type, strings by wildcard (the value is the pattern), decimals by number."""
    if isinstance(key, bool) or isinstance(value, bool):
        return isinstance(key, bool) and isinstance(value, bool) and key == value
    if isinstance(key, (int, float)):
        return _is_number_like(value) and float(value) == float(key)
    if isinstance(key, str):
        if DECIMAL.fullmatch(key) and isinstance(value, str):
            return bool(DECIMAL.fullmatch(value)) and float(key) == float(value)
        return isinstance(value, str) and _wildcard(value, key)
    return key == value


def _any_not_in(key: Any, value: Any) -> bool:
    """operator/anynotin.go: some key is not in the list; each key is the wildcard pattern."""
    if not isinstance(value, list):
        raise Unsupported("AnyNotIn against a value that is not a list")
    listed = [_go_string(v) for v in value]
    if isinstance(key, list):
        return any(not any(_wildcard(_go_string(k), v) for v in listed) for k in key)
    if isinstance(key, str) or (isinstance(key, (int, float)) and not isinstance(key, bool)):
        return not any(_wildcard(_go_string(key), v) for v in listed)
    return False


def _number(value: Any) -> float:
    if _is_number_like(value):
        return float(value)
    raise Unsupported(f"numeric comparison of {value!r}")


def _is_number_like(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
        isinstance(value, str) and bool(DECIMAL.fullmatch(value)))


def _go_string(value: Any) -> str:
    """fmt.Sprint of a JSON value, for the forms these tests meet."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- {{ }} variables and JMESPath ----------------------------------------------------------------------

class _KyvernoFunctions(functions.Functions):
    """The JMESPath functions Kyverno adds that the catalogue uses."""

    @functions.signature({"types": ["string"]}, {"types": ["string", "number"]})
    def _func_regex_match(self, pattern, subject):
        return re.search(pattern, _go_string(subject)) is not None

    @functions.signature({"types": ["object", "array"]}, {"types": ["string"]}, {"types": ["string"]})
    def _func_items(self, collection, key_name, value_name):
        pairs = sorted(collection.items()) if isinstance(collection, dict) else enumerate(collection)
        return [{key_name: key, value_name: value} for key, value in pairs]


_OPTIONS = jmespath.Options(custom_functions=_KyvernoFunctions())


def _query(expression: str, context: dict) -> Any:
    return jmespath.search(expression, context, options=_OPTIONS)


def _substitute(value: Any, context: dict) -> Any:
    """Resolves {{ }} variables, innermost first; a string that is one variable takes the value's type."""
    if isinstance(value, list):
        return [_substitute(v, context) for v in value]
    if not isinstance(value, str):
        return value
    while (found := VARIABLE.search(value)) is not None:
        resolved = _query(found.group(1).strip(), context)
        if resolved is None:
            raise Unresolved(found.group(0))
        if found.group(0) == value:
            return resolved
        shown = resolved if isinstance(resolved, str) else json.dumps(resolved)
        value = value[:found.start()] + shown + value[found.end():]
    return value


# --- Patterns ------------------------------------------------------------------------------------------

def _matches(resource: Any, pattern: Any) -> bool:
    """validate.go validateResourceElement: whether the resource element satisfies the pattern element."""
    if isinstance(pattern, dict):
        return isinstance(resource, dict) and _map_matches(resource, pattern)
    if isinstance(pattern, list):
        return isinstance(resource, list) and _list_matches(resource, pattern)
    if isinstance(resource, list):
        return all(_value_matches(element, pattern) for element in resource)
    return _value_matches(resource, pattern)


def _map_matches(resource: dict, pattern: dict) -> bool:
    _refuse_wildcard_metadata_keys(pattern)
    for key, expected in pattern.items():
        anchor, name = _anchor(key)
        if anchor == "=":
            if name in resource and not _matches(resource[name], expected):
                return False
        elif anchor == "X":
            if name in resource:
                return False
        elif expected == "*":
            if resource.get(name) is None:
                return False
        elif not _matches(resource.get(name), expected):
            return False
    return True


def _anchor(key: str) -> tuple[str | None, str]:
    found = re.fullmatch(r"([=X^+<]?)\((.+)\)", key)
    if found is None:
        return None, key
    if found.group(1) not in ("=", "X"):
        raise Unsupported(f"anchor {key}")
    return found.group(1), found.group(2)


def _refuse_wildcard_metadata_keys(pattern: dict) -> None:
    """Kyverno expands a wildcard label or annotation key to one matching key only (wildcards.go)."""
    for key, value in pattern.items():
        if _anchor(key)[1] == "metadata" and isinstance(value, dict):
            for tag_key, tag in value.items():
                if _anchor(tag_key)[1] in ("labels", "annotations") and any("*" in k or "?" in k for k in tag):
                    raise Unsupported("wildcard keys in labels or annotations")


def _list_matches(resource: list, pattern: list) -> bool:
    if not pattern:
        return False
    first = pattern[0]
    if isinstance(first, dict):
        return all(_matches(element, first) for element in resource)
    if isinstance(first, list):
        raise Unsupported("a list of lists as a pattern")
    return all(_value_matches(element, first) for element in resource)


def _value_matches(value: Any, pattern: Any) -> bool:
    """pattern.go Validate: a scalar (or object-presence) pattern against one value."""
    if isinstance(pattern, bool):
        return isinstance(value, bool) and value == pattern
    if isinstance(pattern, (int, float)):
        return _is_number_like(value) and float(value) == float(pattern)
    if pattern is None:
        return _is_zero_value(value)
    if isinstance(pattern, dict):
        return isinstance(value, dict)
    if isinstance(pattern, str):
        return _string_pattern_matches(value, pattern)
    raise Unsupported(f"pattern {pattern!r}")


def _is_zero_value(value: Any) -> bool:
    """validateNilPattern: null, false, 0 and "" satisfy a null pattern; objects and lists do not."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, str):
        return value == ""
    return value is None


def _string_pattern_matches(value: Any, pattern: str) -> bool:
    if value == pattern:
        return True
    return any(all(_one_string_pattern(value, part.strip()) for part in alternative.strip().split("&"))
               for alternative in pattern.split("|"))


def _one_string_pattern(value: Any, pattern: str) -> bool:
    """validateStringPattern: an operator prefix, then a numeric comparison or a wildcard match."""
    operator = next((op for op in (">=", "<=", ">", "<", "!") if len(pattern) >= 2 and pattern.startswith(op)), "")
    if re.fullmatch(r"\d+(\.\d+)?[^-]*!?-\d+(\.\d+)?[^-]*", pattern):
        raise Unsupported(f"range pattern {pattern}")
    operand = pattern[len(operator):].strip()
    number = _as_quantity(value) if DECIMAL.fullmatch(operand) else None
    if number is not None:
        return _compare(number, float(operand), operator)
    if operator in ("", "!"):
        if value is None or isinstance(value, (dict, list)):
            return False
        matched = _wildcard(operand, _go_string(value))
        return not matched if operator == "!" else matched
    return False


def _as_quantity(value: Any) -> float | None:
    """convertNumberToString then ParseQuantity, for plain numbers: null counts as 0."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if DECIMAL.fullmatch(value):
        return float(value)
    if re.fullmatch(r"[+-]?\d+(\.\d+)?[a-zA-Z]+", value):
        raise Unsupported(f"quantity {value!r}")
    return None


def _compare(value: float, operand: float, operator: str) -> bool:
    return {"": value == operand, "!": value != operand, ">": value > operand, "<": value < operand,
            ">=": value >= operand, "<=": value <= operand}[operator]


def _wildcard(pattern: str, text: str) -> bool:
    """Kyverno's wildcard.Match: * is any run of characters, ? exactly one, the rest literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None
