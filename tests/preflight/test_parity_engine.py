"""The direct path and the servicer agree for any rule, not only the pack's: every behaviour of the
servicer a rule can meet (messages and their description prefix, enforcement after config,
remediate, disabled, config as the servicer hands it back, unknown reads, wrong types, not
applicable, checks that raise or report what is not text, what args carry: options, provider,
config, parents and dependencies) and every input the direct path leaves to the reference (inputs
that cannot be marshalled, assets, bad signatures). SDK policy objects that are not rules run
through the servicer alone. Each case is evaluated both ways and the two Evaluations must be equal,
field for field, in order.
"""
from __future__ import annotations

import pytest
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.deserialize import SPECIAL_ASSET_SIG, SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY

from policies.frameworks import nist
from policies.rule import Finding, Rule
from policies.severity import Severity
from preflight.evaluation import EngineMismatch, evaluate
from preflight.model import Plan, RecordedResource

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PROVIDER_URN = "urn:pulumi:s::p::pulumi:providers:kubernetes::k8s"


def resource(name, inputs, type_token="t:index:Bucket", **options):
    return RecordedResource(urn=f"urn:pulumi:s::p::{type_token}::{name}", type=type_token, name=name, custom=True,
                            inputs=inputs, **options)


def nested(depth):
    value = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def described(value) -> str:
    """What a policy saw, in full, key order included (proxies read through)."""
    if hasattr(value, "keys"):
        return "{" + ", ".join(f"{k}: {described(value[k])}" for k in value) + "}"
    if hasattr(value, "__len__") and not isinstance(value, str):
        return "[" + ", ".join(described(v) for v in value) + "]"
    if hasattr(value, "__dict__"):  # an asset or archive: by what it holds, not where it sits in memory
        return f"{type(value).__name__}{sorted(vars(value).items())}"
    return repr(value)


def sees_everything(args, config):
    opts = args.opts
    provider = args.provider
    yield (f"{args.resource_type} {args.urn} {args.name} {described(args.props)} "
           f"protect={opts.protect} dbr={opts.delete_before_replace} parent={opts.parent} "
           f"secret_outputs={list(opts.additional_secret_outputs)} ignore={list(opts.ignore_changes)} "
           f"aliases={list(opts.aliases)} timeouts={opts.custom_timeouts.create_seconds} "
           f"provider={provider and (provider.resource_type, provider.urn, provider.name, described(provider.props))} "
           f"config={described(args.get_config())} given={described(config)} tags={dict(args.stack_tags)}")


def sees_the_stack(args, config):
    for r in args.resources:
        yield Finding(r.urn, f"{r.name} parent={r.parent and r.parent.name} deps={[d.name for d in r.dependencies]} "
               f"propdeps={ {k: [d.name for d in v] for k, v in r.property_dependencies.items()} } "
               f"props={described(r.props)} provider={r.provider and described(r.provider.props)} "
                             f"opts={r.opts.protect, r.opts.parent, list(r.opts.additional_secret_outputs)}")
    yield Finding(None, f"config={described(args.get_config())} tags={dict(args.stack_tags)}")


def reads_an_unknown(args, config):
    if args.props.get("acl") == "private":
        yield "private"


def reads_a_wrong_type(args, config):
    from policies.values import text

    yield f"size {text(args.props, 'size')}"


def not_applicable(args, config):
    yield "reported before it stepped aside"
    args.not_applicable("not for this one")


def not_applicable_without_reason(args, config):
    args.not_applicable()
    yield "never"


def raises(args, config):
    yield "reported before it broke"
    raise RuntimeError("the check broke")


def reports_twice(args, config):
    yield ""
    yield "again"


def reports_a_number(args, config):
    yield 5


def stack_reads_an_unknown(args, config):
    for r in args.resources:
        yield Finding(r.urn, str(r.props.get("acl")))


def stack_reports_twice(args, config):
    yield Finding(None, "")
    yield Finding("urn:pulumi:s::p::t:index:Other::o", "elsewhere")


SCHEMA = {"limit": {"type": "integer", "default": 3}, "names": {"type": "array", "default": ["a", "b"]}}
TYPES = ("t:index:Bucket", "t:index:Other")


def rule(name, check, resource_types=TYPES, severity=Severity.MEDIUM, config=None):
    return Rule(name=name, description=f"{name} description.", severity=severity, controls=(nist("4.1.1"),),
                tags=("parity",), remediation="None.", url="https://example.com/parity", check=check,
                resource_types=resource_types, config=config or {})


RULES = [
    rule("sees-everything", sees_everything, severity=Severity.HIGH, config=SCHEMA),
    rule("reads-an-unknown", reads_an_unknown, ("t:index:Bucket",), severity=Severity.LOW),
    rule("reads-a-wrong-type", reads_a_wrong_type),
    rule("not-applicable", not_applicable),
    rule("not-applicable-bare", not_applicable_without_reason),
    rule("reports-twice", reports_twice, severity=Severity.CRITICAL),
    rule("sees-the-stack", sees_the_stack, (), severity=Severity.MEDIUM, config=SCHEMA),
    rule("stack-not-applicable", not_applicable, ()),
    rule("stack-reads-an-unknown", stack_reads_an_unknown, ()),
    rule("stack-reports-twice", stack_reports_twice, ()),
]
BREAKING = [
    rule("raises", raises),
    rule("reports-a-number", reports_a_number),
    rule("stack-raises", raises, ()),
]

PROVIDER = RecordedResource(urn=PROVIDER_URN, type="pulumi:providers:kubernetes", name="k8s", custom=True,
                            inputs={"kubeconfig": "{}", "zeta": 1, "alpha": {"b": 2, "a": [1, 2.5]}})
PARENT = RecordedResource(urn="urn:pulumi:s::p::t:index:Component::parent", type="t:index:Component", name="parent",
                          custom=False, inputs={})
PLAIN = [
    PARENT,
    PROVIDER,
    resource("b1", {"acl": "private", "tags": {"z": "1", "a": "2", "m": "3"}, "size": 10, "ratio": 0.5, "on": True,
                    "nothing": None, "list": [{"y": 1, "x": [2, {"k": "v"}]}]},
             parent=PARENT.urn, provider=f"{PROVIDER_URN}::id", protect=True, delete_before_replace=True,
             additional_secret_outputs=("password",)),
    resource("b2", {"acl": UNKNOWN, "name": "b2", "count": UNKNOWN},
             dependencies=("urn:pulumi:s::p::t:index:Bucket::b1", "urn:pulumi:s::p::t:index:Missing::gone"),
             property_dependencies={"zz": ("urn:pulumi:s::p::t:index:Bucket::b1",), "aa": (),
                                    "mm": ("urn:pulumi:s::p::t:index:Missing::gone",)}),
    resource("b3", {"password": {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": {"user": "u", "pass": "p"}}},
             parent="urn:pulumi:s::p::t:index:Missing::gone", provider="urn:pulumi:s::p::pulumi:providers:x::nowhere::id"),
    resource("other", {"acl": "private"}, "t:index:Other"),
]
# Inputs the direct path leaves to the reference, each beside plain ones.
ODD = {
    "nan": resource("odd", {"ratio": float("nan")}),
    "huge number": resource("odd", {"size": 10 ** 400}),
    "key that is not text": resource("odd", {"tags": {1: "one", "two": 2}}),
    "asset": resource("odd", {"code": {SPECIAL_SIG_KEY: SPECIAL_ASSET_SIG, "text": "print(1)"}}),
    "bad signature": resource("odd", {"thing": {SPECIAL_SIG_KEY: "no such signature"}}),
    "deep": resource("odd", {"spec": nested(70)}),
}
CONFIGS = {
    "none": {},
    "all mandatory": {"all": "mandatory"},
    "per policy": {"sees-everything": {"enforcementLevel": "remediate", "limit": 9, "names": ["x", 2]},
                   "sees-the-stack": "remediate", "reads-an-unknown": "mandatory", "reports-twice": "disabled",
                   "stack-not-applicable": "disabled"},
    "all, then one": {"all": "disabled", "sees-everything": "advisory", "sees-the-stack": {"limit": 0}},
}


def both(plan, config, rules):
    """Both Evaluations, after the engine's own comparison ("both" raises on any difference)."""
    try:
        evaluate(plan, config, rules=rules, pack_name="parity", pack_version="1.2.3", engine="both")
    except EngineMismatch as mismatch:
        pytest.fail(str(mismatch))
    return [evaluate(plan, config, rules=rules, pack_name="parity", pack_version="1.2.3", engine=engine)
            for engine in ("direct", "servicer")]


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("breaking", [False, True], ids=["behaving", "with breaking rules"])
def test_every_servicer_behaviour_is_the_same_on_the_direct_path(config, breaking):
    rules = RULES + (BREAKING if breaking else [])
    direct, servicer = both(Plan("p", "s", tuple(PLAIN), {}), CONFIGS[config], rules)
    assert direct == servicer
    if config != "all, then one":
        assert direct.violations and direct.not_applicable and direct.errors  # the cases above reached the rules
        assert any(e.message.startswith("raises: cannot judge") for e in direct.errors) == breaking


@pytest.mark.parametrize("odd", sorted(ODD))
def test_inputs_left_to_the_reference_are_judged_as_the_reference_judges_them(odd):
    plan = Plan("p", "s", tuple(PLAIN[:3] + [ODD[odd]] + PLAIN[3:]), {})
    direct, servicer = both(plan, CONFIGS["per policy"], RULES)
    assert direct == servicer


def test_a_provider_left_to_the_reference_takes_its_resources_with_it():
    provider = RecordedResource(urn=PROVIDER_URN, type="pulumi:providers:kubernetes", name="k8s", custom=True,
                                inputs={"kubeconfig": {SPECIAL_SIG_KEY: SPECIAL_ASSET_SIG, "path": "/kube"}})
    plan = Plan("p", "s", (provider, *PLAIN[2:]), {})
    direct, servicer = both(plan, {}, RULES)
    assert direct == servicer


def test_an_unknown_engine_is_refused():
    from preflight.evaluation import ConfigError

    with pytest.raises(ConfigError, match="PREFLIGHT_ENGINE"):
        evaluate(Plan("p", "s", (), {}), {}, rules=RULES, engine="fast")


def test_the_engine_variable_chooses_the_reference(monkeypatch):
    import preflight.direct_eval

    def refuse(*args, **kwargs):
        raise AssertionError("the direct path ran")

    monkeypatch.setattr(preflight.direct_eval, "run_rules", refuse)
    monkeypatch.setenv("PREFLIGHT_ENGINE", "servicer")
    assert evaluate(Plan("p", "s", tuple(PLAIN), {}), {}, rules=RULES).violations


def test_sdk_policies_that_are_not_rules_run_through_the_servicer(monkeypatch):
    import preflight.direct_eval

    monkeypatch.setattr(preflight.direct_eval, "run_rules", lambda *a, **k: pytest.fail("the direct path ran"))
    policy = ResourceValidationPolicy(name="sdk-only", description="An SDK policy.",
                                      validate=lambda args, report: report("seen", None))
    evaluation = evaluate(Plan("p", "s", tuple(PLAIN), {}), {}, policies=[policy])
    assert [v.message for v in evaluation.violations] == ["An SDK policy.\nseen"] * len(PLAIN)
