"""The one catalogue of workload controls, checked twice: by CrossGuard at preview, by Kyverno at admission.

Each control names its CrossGuard rule and the Kyverno ClusterPolicy and rule(s) that enforce the
same thing in the cluster. The CrossGuard check is a pure function of one workload; the Kyverno rule
bodies are pure functions of `KyvernoParams`. `policies.kyverno` turns the catalogue into
ClusterPolicy documents and `policies.rules.k8s_workload` into CrossGuard rules, so the two sides
cannot drift: a control without both halves is not a control (a test proves the pairs).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Callable, Iterable, Mapping

from policies.severity import Severity

from policies.attestations import attestations, attestors
from policies.frameworks import Control, cis_eks, cis_k8s, nist, pss
from policies.pods import WORKLOADS, from_registry, matches_any, split_image
from policies.rule import config_value
from policies.secret_names import SECRET_NAME_PATTERN, looks_secret
from policies.values import UnknownValueError, flag, get, is_set, known, mapping, number, objects, shown, strings, \
    text, where

ALL_WORKLOAD_KINDS = ("Pod", "PodTemplate", "ReplicationController", "Deployment", "StatefulSet", "DaemonSet",
                      "ReplicaSet", "Job", "CronJob")
SERVING_KINDS = ("ReplicationController", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
SECCOMP_ALLOWED = ("RuntimeDefault", "Localhost")
ECR_PATTERN = "*.dkr.ecr.*.amazonaws.com"

# The Pod Security Standards at the cluster's Kubernetes version (1.33), value for value as Pod
# Security admission compares them: exact strings, no case folding.
BASELINE_CAPABILITIES = ("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                         "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT")
RESTRICTED_CAPABILITIES = ("NET_BIND_SERVICE",)
SAFE_SYSCTLS = ("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")
SELINUX_TYPES = ("container_t", "container_init_t", "container_kvm_t", "container_engine_t")
APPARMOR_PROFILES = ("RuntimeDefault", "Localhost")
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
RESTRICTED_VOLUME_TYPES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                           "projected", "secret")
BASELINE_URL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"


def baseline(control_name: str) -> Control:
    return pss(f"Baseline: {control_name}")


def restricted(control_name: str) -> Control:
    return pss(f"Restricted: {control_name}")


@dataclass(frozen=True)
class KyvernoParams:
    """What the admission component knows per environment."""

    failure_action: str = "Audit"  # "Enforce" in prod; critical controls enforce everywhere (policies.kyverno)
    allowed_registries: tuple[str, ...] = (ECR_PATTERN,)
    signed_image_patterns: tuple[str, ...] = (f"{ECR_PATTERN}/*",)
    # Public halves of the stack's signing keys, the current one first; any one verifies.
    cosign_public_keys: tuple[str, ...] = ()
    # Age after which a vulnerability-scan attestation no longer admits an image.
    scan_max_age_hours: int = 168
    excluded_namespaces: tuple[str, ...] = ("kube-system", "kyverno")


@dataclass(frozen=True)
class KyvernoRule:
    name: str
    # Builds the rule body without name/match: {"validate": ...} or {"verifyImages": [...]}.
    body: Callable[[KyvernoParams], dict]


@dataclass(frozen=True)
class WorkloadControl:
    rule: str
    description: str
    severity: Severity
    controls: tuple[Control, ...]
    remediation: str
    # check(resource_type, props, config) yields messages.
    check: Callable[[str, Any, Mapping[str, Any]], Iterable[str]]
    kyverno_policy: str
    kyverno_rules: tuple[KyvernoRule, ...]
    crossguard_kinds: tuple[str, ...] = ALL_WORKLOAD_KINDS
    kyverno_kinds: tuple[str, ...] = ("Pod",)
    # Objects of kyverno_kinds Kyverno skips by name: ones Kubernetes itself creates and the program
    # does not manage, so no change to the stack could make them comply.
    kyverno_excluded_names: tuple[str, ...] = ()
    config: Mapping[str, dict] = field(default_factory=dict)
    url: str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted"


# --- Kyverno rule bodies -------------------------------------------------------------------------

def _validate(message: str, params: KyvernoParams, **how: Any) -> dict:
    return {"validate": {"failureAction": params.failure_action, "message": message, **how}}


def _containers_pattern(container: dict) -> dict:
    """A pattern applied to every app, init and ephemeral container of a pod."""
    return {"spec": {"containers": [container], "=(initContainers)": [container], "=(ephemeralContainers)": [container]}}


def _pod_and_containers_pattern(context: dict) -> dict:
    """A pattern on the pod's securityContext and on every container's, where either may be absent."""
    anchored = {"=(securityContext)": context}
    return {"spec": {**anchored, **_containers_pattern(anchored)["spec"]}}


_ALL_CONTAINERS = "request.object.spec.[ephemeralContainers, initContainers, containers][]"
# The pod's securityContext and every container's: the settings Pod Security reads at both levels.
_ALL_SECURITY_CONTEXTS = ("request.object.spec.[securityContext, ephemeralContainers[].securityContext, "
                          "initContainers[].securityContext, containers[].securityContext][]")


# Kyverno evaluates foreach deny rules on DELETE requests too (pattern rules it skips), against an
# object that is no longer there, and so can refuse to delete a compliant pod. Background scans
# have no operation, hence the default.
NOT_A_DELETE = {"all": [{"key": "{{ request.operation || 'BACKGROUND' }}", "operator": "NotEquals", "value": "DELETE"}]}


def _foreach_deny(message: str, params: KyvernoParams, conditions: list[dict], *,
                  items: str = _ALL_CONTAINERS, combine: str = "any") -> dict:
    """Denies when, for some listed element, the conditions hold ("any" or "all" of them); never on DELETE."""
    foreach = [{"list": items, "deny": {"conditions": {combine: conditions}}}]
    return {"preconditions": NOT_A_DELETE, **_validate(message, params, foreach=foreach)}


def _deny(message: str, params: KyvernoParams, conditions: list[dict]) -> dict:
    """Denies the object when any of the conditions holds; never on DELETE."""
    return {"preconditions": NOT_A_DELETE, **_validate(message, params, deny={"conditions": {"any": conditions}})}


def _any_outside(strings_expression: str, allowed: Iterable[str]) -> dict:
    """A deny condition: some string of the JMESPath list is not exactly one of `allowed`.

    Filtered in JMESPath rather than with Kyverno's AnyNotIn, which reads each checked value as a
    wildcard pattern: an added capability "*" or "SYS_*" would count as allowed there.
    """
    listed = json.dumps(list(allowed))
    return {"key": f"{{{{ length(({strings_expression} || `[]`)[?!contains(`{listed}`, @)]) }}}}",
            "operator": "GreaterThan", "value": 0}


# --- CrossGuard checks ---------------------------------------------------------------------------
# Every field is read with the type it must have: a manifest is untrusted, and a wrong type is
# WrongTypeError ("cannot judge", an error for the document), never a default that passes.

_CONTAINER_GROUPS = ("containers", "initContainers", "ephemeralContainers")


def _last_answer(read: Callable) -> Callable:
    """Keeps `read`'s last answer for the same props object. The direct path hands every rule of a
    workload the same props, and a score of rules read its pod spec and containers in turn; reads
    are pure, so the answer is the same. A read that raised is read again (and raises again)."""
    last: list = [None, None, None]  # props, the other arguments, the answer

    @wraps(read)
    def remembered(resource_type, props, **options):
        asked = (resource_type, tuple(options.items()))
        if last[0] is not props or last[1] != asked:
            last[:] = [props, asked, read(resource_type, props, **options)]
        return last[2]

    return remembered


@_last_answer
def _pod(resource_type, props):
    """(where, pod spec) of a workload: where its pod spec sits, and the spec (empty if absent)."""
    path = WORKLOADS[resource_type][1]
    return where("", *path), mapping(props, *path)


def _pod_metadata(resource_type, props):
    """(where, metadata) of the pod a workload runs: a Pod's own, the pod template's for the rest."""
    path = WORKLOADS[resource_type][1][:-1] + ("metadata",)
    return where("", *path), mapping(props, *path)


def _present(props, *path, at: str = "") -> bool:
    """Whether a field is there at all: an empty object counts, and so does a value unknown at preview."""
    try:
        return get(props, *path, at=at) is not None
    except UnknownValueError:
        return True


def _label(kind: str, place: str, element) -> str:
    """A container or volume by its name ("container web"), by its place when the name is not a known string."""
    is_known, name = known(element, "name")
    return f"{kind} {name if is_known and isinstance(name, str) else place}"


@_last_answer
def _containers(resource_type, props, *, init: bool = True):
    """(label, where, container) for app containers, and init and ephemeral ones unless init=False."""
    at, spec = _pod(resource_type, props)
    found = []
    for group in _CONTAINER_GROUPS if init else _CONTAINER_GROUPS[:1]:
        for place, container in objects(spec, group, at=at):
            found.append((_label(group[:-1], place, container), place, container))
    return tuple(found)


@_last_answer
def _security_contexts(resource_type, props):
    """(label, where, securityContext) of the pod and of every container (empty where absent)."""
    at, spec = _pod(resource_type, props)
    found = [("pod", where(at, "securityContext"), mapping(spec, "securityContext", at=at))]
    for label, place, c in _containers(resource_type, props):
        found.append((label, where(place, "securityContext"), mapping(c, "securityContext", at=place)))
    return tuple(found)


def _images(resource_type, props):
    for label, at, c in _containers(resource_type, props):
        yield label, text(c, "image", at=at)


def _no_latest(resource_type, props, config):
    for label, image in _images(resource_type, props):
        _, _, tag, digest = split_image(image or "")
        if not image or (tag is None and digest is None):
            yield f"{label} image {image!r} has no tag or digest (means :latest)"
        elif tag == "latest" and digest is None:
            yield f"{label} image {image} uses :latest"


REGISTRY_CONFIG = {
    "allowedRegistries": {"type": "array", "items": {"type": "string"}, "default": [ECR_PATTERN],
                          "description": "Registry hosts or host/path prefixes (glob) images may come from."},
}


def _registry(resource_type, props, config):
    # The same match Kyverno's "<registry>/*" pattern makes on the image as written.
    allowed = config_value(config, REGISTRY_CONFIG, "allowedRegistries")
    for label, image in _images(resource_type, props):
        if not any(from_registry(image or "", r) for r in allowed):
            yield f"{label} image {image} does not come from an allowed registry ({', '.join(allowed)})"


DIGEST_CONFIG = {
    "signedImagePatterns": {"type": "array", "items": {"type": "string"}, "default": [f"{ECR_PATTERN}/*"],
                            "description": "Image references that must be signed, hence deployed by digest."},
}


def _digest(resource_type, props, config):
    patterns = config_value(config, DIGEST_CONFIG, "signedImagePatterns")
    for label, image in _images(resource_type, props):
        if image and matches_any(image.split("@")[0], patterns) and split_image(image)[3] is None:
            yield f"{label} image {image} is not pinned by digest, so its signature cannot be bound to it"


_RESOURCE_KEYS = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))


def _resources(resource_type, props, config):
    for label, at, c in _containers(resource_type, props, init=True):
        if label.startswith("ephemeralContainer "):
            continue  # Kubernetes forbids resources on ephemeral containers
        missing = [".".join(k) for k in _RESOURCE_KEYS if not is_set(c, "resources", *k, at=at)]
        if missing:
            yield f"{label} does not set resources {', '.join(missing)}"


def _non_root(resource_type, props, config):
    at, spec = _pod(resource_type, props)
    pod_value = flag(spec, "securityContext", "runAsNonRoot", at=at)
    pod_non_root = pod_value is True
    if pod_value is False:
        yield "pod sets runAsNonRoot false"
    if number(spec, "securityContext", "runAsUser", at=at) == 0:
        yield "pod runs as UID 0"
    for label, place, c in _containers(resource_type, props):
        value = flag(c, "securityContext", "runAsNonRoot", at=place)
        if value is False or (value is None and not pod_non_root):
            yield f"{label} may run as root (runAsNonRoot not true)"
        if number(c, "securityContext", "runAsUser", at=place) == 0:
            yield f"{label} runs as UID 0"


def _each_container_flag(key: str, wanted: bool, message: str):
    def check(resource_type, props, config):
        for label, at, c in _containers(resource_type, props):
            if flag(c, "securityContext", key, at=at) is not wanted:
                yield f"{label} {message}"
    return check


def _drop_all(resource_type, props, config):
    for label, at, c in _containers(resource_type, props):
        # Exact names: Pod Security "restricted" rejects a lower-case "all" or "net_bind_service".
        drop = strings(c, "securityContext", "capabilities", "drop", at=at)
        add = strings(c, "securityContext", "capabilities", "add", at=at)
        if "ALL" not in drop:
            yield f"{label} does not drop ALL capabilities"
        extra = [a for a in add if a not in RESTRICTED_CAPABILITIES]
        if extra:
            yield f"{label} adds capabilities {', '.join(extra)}"


def _baseline_capabilities(resource_type, props, config):
    for label, at, c in _containers(resource_type, props):
        # Exact names: the runtime upper-cases and prefixes what it is given, so "sys_admin" or
        # "CAP_SYS_ADMIN" grant SYS_ADMIN just the same.
        added = strings(c, "securityContext", "capabilities", "add", at=at)
        beyond = [a for a in added if a not in BASELINE_CAPABILITIES]
        if beyond:
            yield f"{label} adds capabilities beyond the baseline set: {', '.join(beyond)}"


def _seccomp(resource_type, props, config):
    at, spec = _pod(resource_type, props)
    pod_type = text(spec, "securityContext", "seccompProfile", "type", at=at)
    if pod_type is not None and pod_type not in SECCOMP_ALLOWED:
        yield f"pod seccomp profile is {pod_type}"
    for label, place, c in _containers(resource_type, props):
        own = text(c, "securityContext", "seccompProfile", "type", at=place)
        if own is not None and own not in SECCOMP_ALLOWED:
            yield f"{label} seccomp profile is {own}"
        elif own is None and pod_type not in SECCOMP_ALLOWED:
            yield f"{label} has no seccomp profile (RuntimeDefault or Localhost)"


def _no_privileged(resource_type, props, config):
    for label, at, c in _containers(resource_type, props):
        if flag(c, "securityContext", "privileged", at=at) is True:
            yield f"{label} is privileged"


def _host_namespaces(resource_type, props, config):
    at, spec = _pod(resource_type, props)
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if flag(spec, key, at=at) is True:
            yield f"pod shares the node's namespace ({key})"


def _host_path(resource_type, props, config):
    at, spec = _pod(resource_type, props)
    for place, volume in objects(spec, "volumes", at=at):
        if _present(volume, "hostPath", at=place):
            yield f"{_label('volume', place, volume)} mounts a hostPath"


def _volume_types(resource_type, props, config):
    at, spec = _pod(resource_type, props)
    for place, volume in objects(spec, "volumes", at=at):
        # A volume with no source at all is defaulted to emptyDir by the API server.
        sources = [key for key in volume if key != "name" and _present(volume, key, at=place)]
        forbidden = [key for key in sources if key not in RESTRICTED_VOLUME_TYPES]
        if forbidden:
            yield f"{_label('volume', place, volume)} is of type {', '.join(forbidden)}, which the restricted profile forbids"


def _persistent_volume_host_path(resource_type, props, config):
    if _present(props, "spec", "hostPath"):
        yield "the PersistentVolume is a hostPath: any pod that claims it mounts the node's filesystem"


def _host_process(resource_type, props, config):
    for label, at, context in _security_contexts(resource_type, props):
        if flag(context, "windowsOptions", "hostProcess", at=at) is True:
            yield f"{label} runs as a Windows HostProcess, with privileged access to the node"


def _proc_mount(resource_type, props, config):
    for label, at, c in _containers(resource_type, props):
        mount = text(c, "securityContext", "procMount", at=at)
        if mount not in (None, "Default"):
            yield f"{label} sets procMount {mount!r}, not Default: /proc is not masked"


def _sysctls(resource_type, props, config):
    at, spec = _pod(resource_type, props)
    for place, sysctl in objects(spec, "securityContext", "sysctls", at=at):
        name = text(sysctl, "name", at=place)
        if name not in SAFE_SYSCTLS:
            yield f"pod sets sysctl {name!r}, which is not in the safe set"


def _selinux(resource_type, props, config):
    for label, at, context in _security_contexts(resource_type, props):
        selinux_type = text(context, "seLinuxOptions", "type", at=at)
        if selinux_type not in (None, "", *SELINUX_TYPES):
            yield f"{label} sets SELinux type {selinux_type!r}"
        for field_name in ("user", "role"):
            if text(context, "seLinuxOptions", field_name, at=at):
                yield f"{label} sets a custom SELinux {field_name}"


def _apparmor(resource_type, props, config):
    for label, at, context in _security_contexts(resource_type, props):
        if _present(context, "appArmorProfile", at=at):
            profile = text(context, "appArmorProfile", "type", at=at)
            if profile not in APPARMOR_PROFILES:
                yield f"{label} sets AppArmor profile {profile!r}"
    at, metadata = _pod_metadata(resource_type, props)
    annotations = mapping(metadata, "annotations", at=at)
    for key in [k for k in annotations if k.startswith(APPARMOR_ANNOTATION)]:
        profile = text(annotations, key, default="", at=where(at, "annotations"))
        if profile not in ("", "runtime/default") and not profile.startswith("localhost/"):
            yield f"annotation {key} sets AppArmor profile {profile!r}"


def _host_ports(resource_type, props, config):
    for label, at, c in _containers(resource_type, props):
        for place, port in objects(c, "ports", at=at):
            # Under hostNetwork Kubernetes makes the container port the node's port, so a port entry
            # is judged whole: one whose container port is not a number cannot be judged either.
            number(port, "containerPort", at=place)
            host = number(port, "hostPort", at=place)
            if host not in (0, None):
                yield f"{label} binds hostPort {shown(host)}"


def _probes(resource_type, props, config):
    for label, at, c in _containers(resource_type, props, init=False):
        missing = [p for p in ("livenessProbe", "readinessProbe") if not is_set(c, p, at=at)]
        if missing:
            yield f"{label} has no {' or '.join(missing)}"


def _namespace(resource_type, props, config):
    if not is_set(props, "metadata", "namespace"):
        yield "no namespace: the workload lands in the provider's default namespace"
        return
    # An unknown namespace lets UnknownValueError through: "cannot verify at preview", not a pass.
    if text(props, "metadata", "namespace") == "default":
        yield "workload runs in the default namespace"


def _automount(resource_type, props, config):
    at, spec = _pod(resource_type, props)
    if flag(spec, "automountServiceAccountToken", at=at) is not False:
        yield "the service account token is mounted (automountServiceAccountToken is not false)"


DEFAULT_ACCOUNT = "default"
# The deprecated serviceAccount spelling counts where serviceAccountName is unset or empty, as the
# API server reads them; '' when neither names an account.
_ACCOUNT_NAME = "request.object.spec.serviceAccountName || request.object.spec.serviceAccount || ''"


def _own_service_account(resource_type, props, config):
    at, spec = _pod(resource_type, props)
    name = text(spec, "serviceAccountName", at=at) or text(spec, "serviceAccount", at=at)
    if not name:
        yield f"{at} names no service account, so its pods run as the namespace's default one"
    elif name == DEFAULT_ACCOUNT:
        yield f"{at}.serviceAccountName is the namespace's default service account"


def _account_automount(resource_type, props, config):
    if flag(props, "automountServiceAccountToken") is not False:
        yield "automountServiceAccountToken is not false: every pod using this account mounts its API token"


def _names_a_secret_file(name: str, env) -> bool:
    """NAME_FILE=/absolute/path: the convention (postgres, Docker secrets) for a secret read from a
    mounted file. The value is a path, not the secret; an unknown value cannot be shown to be one."""
    is_known, value = known(env, "value")
    return name.endswith("_FILE") and is_known and isinstance(value, str) and value.startswith("/")


def _secret_env(resource_type, props, config):
    for label, at, c in _containers(resource_type, props):
        for place, env in objects(c, "env", at=at):
            name = text(env, "name", at=place)
            # Presence: an unknown literal value is still a secret written into the manifest.
            if looks_secret(name) and is_set(env, "value", at=place) and not _names_a_secret_file(name, env):
                yield f"{label} env {name} holds a literal value; mount it from a Secret as a file"


def _secret_env_refs(resource_type, props, config):
    for label, at, c in _containers(resource_type, props):
        for place, env in objects(c, "env", at=at):
            if _present(env, "valueFrom", "secretKeyRef", at=place):
                yield f"{label} {_label('env', place, env)} is taken from a Secret (secretKeyRef)"
        for place, source in objects(c, "envFrom", at=at):
            if _present(source, "secretRef", at=place):
                yield f"{label} takes every key of a Secret as environment variables (envFrom secretRef)"


PSA_CONFIG = {
    "exemptNamespaces": {"type": "array", "items": {"type": "string"}, "default": ["kube-system"],
                         "description": "Namespaces that may run below the restricted profile."},
}
PSA_LABEL = "pod-security.kubernetes.io/enforce"


def _psa(resource_type, props, config):
    if text(props, "metadata", "name") in config_value(config, PSA_CONFIG, "exemptNamespaces"):
        return
    level = text(props, "metadata", "labels", PSA_LABEL)
    if level != "restricted":
        yield f"namespace enforces Pod Security level {level or 'none'}, not restricted"


# --- The catalogue -------------------------------------------------------------------------------

CATALOG: tuple[WorkloadControl, ...] = (
    WorkloadControl(
        rule="k8s-no-latest-image",
        description="Workload images carry an explicit tag or digest, never :latest.",
        severity=Severity.HIGH,
        controls=(nist("4.2.2"),),
        remediation="Reference images by digest (or at least an immutable version tag).",
        check=_no_latest,
        kyverno_policy="disallow-latest-tag",
        kyverno_rules=(
            KyvernoRule("require-image-tag", lambda p: _validate(
                "An image tag or digest is required.", p, pattern=_containers_pattern({"image": "*:*"}))),
            KyvernoRule("validate-image-tag", lambda p: _validate(
                "Using the mutable tag 'latest' is not allowed.", p,
                pattern=_containers_pattern({"image": "!*:latest"}))),
        ),
        url="https://kubernetes.io/docs/concepts/containers/images/#image-names",
    ),
    WorkloadControl(
        rule="k8s-image-registry-allowed",
        description="Workload images come only from the allowed registries.",
        severity=Severity.HIGH,
        controls=(cis_eks("5.1.4"), nist("4.1.5")),
        remediation="Push the image to the platform's ECR and reference it there.",
        check=_registry,
        kyverno_policy="restrict-image-registries",
        kyverno_rules=(
            KyvernoRule("validate-registries", lambda p: _validate(
                "Images must come from an allowed registry.", p,
                pattern=_containers_pattern({"image": " | ".join(f"{r}/*" for r in p.allowed_registries)}))),
        ),
        config=REGISTRY_CONFIG,
        url="https://docs.aws.amazon.com/eks/latest/best-practices/image-security.html",
    ),
    WorkloadControl(
        rule="k8s-image-digest-pinned",
        description="Images that must be signed are deployed by digest; at admission Kyverno also "
                    "verifies their cosign signature, SPDX SBOM attestation and a recent vulnerability-scan "
                    "attestation without CRITICAL findings against the stack's KMS signing keys.",
        severity=Severity.HIGH,
        controls=(nist("4.1.5"), nist("4.2.2")),
        remediation="Reference the image as <repo>@sha256:<digest> (the digest CI signed).",
        check=_digest,
        kyverno_policy="verify-image-signatures",
        kyverno_rules=(
            KyvernoRule("verify-cosign-signature", lambda p: {"verifyImages": [{
                "imageReferences": list(p.signed_image_patterns),
                "failureAction": p.failure_action,
                "type": "Cosign",
                # Tags are rewritten to the digest that was verified, so what runs is exactly what
                # was signed. Kyverno allows the mutation only when the rule enforces.
                "mutateDigest": p.failure_action == "Enforce",
                "verifyDigest": True,
                "required": True,
                "attestors": attestors(p.cosign_public_keys),
                # Signed by the same keys: the SBOM, and a recent scan with nothing critical.
                "attestations": attestations(p.cosign_public_keys, p.scan_max_age_hours),
            }]}),
        ),
        config=DIGEST_CONFIG,
        url="https://kyverno.io/docs/policy-types/cluster-policy/verify-images/",
    ),
    WorkloadControl(
        rule="k8s-resources-required",
        description="Every container sets CPU and memory requests and limits.",
        severity=Severity.MEDIUM,
        controls=(nist("4.4.3"),),
        remediation="Set resources.requests and resources.limits (cpu and memory) on every container.",
        check=_resources,
        kyverno_policy="require-requests-limits",
        kyverno_rules=(
            KyvernoRule("validate-resources", lambda p: _validate(
                "CPU and memory requests and limits are required.", p,
                pattern=_containers_pattern({"resources": {
                    "requests": {"cpu": "?*", "memory": "?*"}, "limits": {"cpu": "?*", "memory": "?*"}}}))),
        ),
        url="https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
    ),
    WorkloadControl(
        rule="k8s-run-as-non-root",
        description="Containers run as a non-root user.",
        severity=Severity.HIGH,
        controls=(cis_eks("4.5.2"), cis_k8s("5.2.7"), restricted("Running as Non-root"),
                  restricted("Running as Non-root user")),
        remediation="Set securityContext.runAsNonRoot true (pod or every container) and a non-zero runAsUser.",
        check=_non_root,
        kyverno_policy="require-run-as-non-root",
        kyverno_rules=(
            KyvernoRule("run-as-non-root", lambda p: _validate(
                "Running as root is not allowed: set runAsNonRoot true.", p, anyPattern=[
                    {"spec": {"securityContext": {"runAsNonRoot": True},
                              **_containers_pattern({"=(securityContext)": {"=(runAsNonRoot)": True}})["spec"]}},
                    # Every container says true; a pod-level false is refused even then.
                    {"spec": {"=(securityContext)": {"=(runAsNonRoot)": True},
                              **_containers_pattern({"securityContext": {"runAsNonRoot": True}})["spec"]}},
                ])),
            KyvernoRule("run-as-non-zero-uid", lambda p: _validate(
                "Running as UID 0 is not allowed.", p, pattern=_pod_and_containers_pattern({"=(runAsUser)": ">0"}))),
        ),
    ),
    WorkloadControl(
        rule="k8s-no-privilege-escalation",
        description="Containers set allowPrivilegeEscalation false.",
        severity=Severity.HIGH,
        controls=(cis_eks("4.2.5"), cis_k8s("5.2.6"), restricted("Privilege Escalation")),
        remediation="Set securityContext.allowPrivilegeEscalation false on every container.",
        check=_each_container_flag("allowPrivilegeEscalation", False, "does not set allowPrivilegeEscalation false"),
        kyverno_policy="disallow-privilege-escalation",
        kyverno_rules=(
            KyvernoRule("privilege-escalation", lambda p: _validate(
                "allowPrivilegeEscalation must be false.", p,
                pattern=_containers_pattern({"securityContext": {"allowPrivilegeEscalation": False}}))),
        ),
    ),
    WorkloadControl(
        rule="k8s-read-only-root-fs",
        description="Containers mount their root filesystem read-only.",
        severity=Severity.MEDIUM,
        controls=(nist("4.4.4"), cis_k8s("5.7.3")),
        remediation="Set securityContext.readOnlyRootFilesystem true; mount emptyDir volumes where the app writes.",
        check=_each_container_flag("readOnlyRootFilesystem", True, "does not mount its root filesystem read-only"),
        kyverno_policy="require-ro-rootfs",
        kyverno_rules=(
            KyvernoRule("validate-readOnlyRootFilesystem", lambda p: _validate(
                "The root filesystem must be read-only.", p,
                pattern=_containers_pattern({"securityContext": {"readOnlyRootFilesystem": True}}))),
        ),
    ),
    WorkloadControl(
        rule="k8s-drop-all-capabilities",
        description="Containers drop ALL capabilities and add back at most NET_BIND_SERVICE.",
        severity=Severity.MEDIUM,
        controls=(cis_k8s("5.2.10"), cis_k8s("5.2.8"), cis_eks("4.5.2"), restricted("Capabilities")),
        remediation="Set securityContext.capabilities.drop ['ALL'] and add nothing but NET_BIND_SERVICE.",
        check=_drop_all,
        kyverno_policy="require-drop-all-capabilities",
        kyverno_rules=(
            KyvernoRule("require-drop-all", lambda p: _foreach_deny(
                "Containers must drop ALL capabilities.", p,
                [{"key": "ALL", "operator": "AnyNotIn",
                  "value": "{{ element.securityContext.capabilities.drop || `[]` }}"}])),
            KyvernoRule("adding-capabilities-strict", lambda p: _foreach_deny(
                "Only NET_BIND_SERVICE may be added back.", p,
                [_any_outside("element.securityContext.capabilities.add", RESTRICTED_CAPABILITIES)])),
        ),
    ),
    WorkloadControl(
        rule="k8s-seccomp-profile",
        description="Pods and containers use the RuntimeDefault or a Localhost seccomp profile.",
        severity=Severity.MEDIUM,
        controls=(cis_k8s("5.7.2"), restricted("Seccomp"), baseline("Seccomp")),
        remediation="Set securityContext.seccompProfile.type RuntimeDefault on the pod.",
        check=_seccomp,
        kyverno_policy="restrict-seccomp-strict",
        kyverno_rules=(
            KyvernoRule("check-seccomp-strict", lambda p: _validate(
                "The seccomp profile must be RuntimeDefault or Localhost.", p, anyPattern=[
                    {"spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault | Localhost"}},
                              **_containers_pattern({"=(securityContext)": {"=(seccompProfile)": {
                                  "=(type)": "RuntimeDefault | Localhost"}}})["spec"]}},
                    # Every container sets its own; a pod-level Unconfined is refused even then.
                    {"spec": {"=(securityContext)": {"=(seccompProfile)": {"=(type)": "RuntimeDefault | Localhost"}},
                              **_containers_pattern({"securityContext": {"seccompProfile": {
                                  "type": "RuntimeDefault | Localhost"}}})["spec"]}},
                ])),
        ),
    ),
    WorkloadControl(
        rule="k8s-no-privileged",
        description="No container runs privileged.",
        severity=Severity.CRITICAL,
        controls=(cis_eks("4.2.1"), cis_k8s("5.2.2"), baseline("Privileged Containers")),
        remediation="Remove securityContext.privileged (or set it false).",
        check=_no_privileged,
        kyverno_policy="disallow-privileged-containers",
        kyverno_rules=(
            KyvernoRule("privileged-containers", lambda p: _validate(
                "Privileged containers are not allowed.", p,
                pattern=_containers_pattern({"=(securityContext)": {"=(privileged)": False}}))),
        ),
    ),
    WorkloadControl(
        rule="k8s-no-host-namespaces",
        description="Pods do not share the node's network, PID or IPC namespaces.",
        severity=Severity.CRITICAL,
        controls=(cis_eks("4.2.2"), cis_eks("4.2.3"), cis_eks("4.2.4"), cis_k8s("5.2.3"), cis_k8s("5.2.4"),
                  cis_k8s("5.2.5"), baseline("Host Namespaces")),
        remediation="Remove hostNetwork, hostPID and hostIPC (or set them false).",
        check=_host_namespaces,
        kyverno_policy="disallow-host-namespaces",
        kyverno_rules=(
            KyvernoRule("host-namespaces", lambda p: _validate(
                "Sharing the host namespaces is not allowed.", p,
                pattern={"spec": {"=(hostNetwork)": False, "=(hostPID)": False, "=(hostIPC)": False}})),
        ),
    ),
    WorkloadControl(
        rule="k8s-no-host-path",
        description="Pods mount no hostPath volumes.",
        severity=Severity.HIGH,
        controls=(cis_k8s("5.2.12"), baseline("HostPath Volumes")),
        remediation="Use persistent volumes, emptyDir or projected volumes instead of hostPath.",
        check=_host_path,
        kyverno_policy="disallow-host-path",
        kyverno_rules=(
            KyvernoRule("host-path", lambda p: _validate(
                "hostPath volumes are forbidden.", p, pattern={"spec": {"=(volumes)": [{"X(hostPath)": "null"}]}})),
        ),
    ),
    WorkloadControl(
        rule="k8s-no-host-path-persistent-volume",
        description="No PersistentVolume is a hostPath, so no claim can mount the node's filesystem.",
        severity=Severity.HIGH,
        controls=(cis_k8s("5.2.12"),),
        remediation="Provision volumes through the EBS CSI driver's StorageClass, not hostPath PersistentVolumes.",
        check=_persistent_volume_host_path,
        kyverno_policy="disallow-host-path-persistent-volumes",
        kyverno_rules=(
            KyvernoRule("host-path-persistent-volume", lambda p: _validate(
                "hostPath PersistentVolumes are forbidden.", p, pattern={"spec": {"X(hostPath)": "null"}})),
        ),
        crossguard_kinds=("PersistentVolume",),
        kyverno_kinds=("PersistentVolume",),
        url="https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
    ),
    WorkloadControl(
        rule="k8s-restricted-volume-types",
        description="Pods use only the volume types the restricted profile allows (configMap, csi, downwardAPI, "
                    "emptyDir, ephemeral, persistentVolumeClaim, projected, secret).",
        severity=Severity.MEDIUM,
        controls=(restricted("Volume Types"),),
        remediation="Reach storage through a PersistentVolumeClaim; use configMap, secret, projected or emptyDir "
                    "volumes for the rest.",
        check=_volume_types,
        kyverno_policy="restrict-volume-types",
        kyverno_rules=(
            KyvernoRule("restricted-volumes", lambda p: _deny(
                "Only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and "
                "secret volumes are allowed.", p,
                [_any_outside("request.object.spec.volumes[].keys(@)[]", ("name", *RESTRICTED_VOLUME_TYPES))])),
        ),
    ),
    WorkloadControl(
        rule="k8s-no-host-ports",
        description="Containers bind no host ports.",
        severity=Severity.MEDIUM,
        controls=(cis_k8s("5.2.13"), baseline("Host Ports")),
        remediation="Remove hostPort; expose the container through a Service.",
        check=_host_ports,
        kyverno_policy="disallow-host-ports",
        kyverno_rules=(
            KyvernoRule("host-ports-none", lambda p: _validate(
                "Host ports are not allowed.", p,
                pattern=_containers_pattern({"=(ports)": [{"=(hostPort)": 0}]}))),
        ),
    ),
    WorkloadControl(
        rule="k8s-capabilities-baseline",
        description="No container adds a capability beyond the baseline set (SYS_ADMIN, NET_RAW, SYS_PTRACE and "
                    "the like are refused in every environment).",
        severity=Severity.CRITICAL,
        controls=(cis_k8s("5.2.9"), baseline("Capabilities")),
        remediation="Remove the capability from securityContext.capabilities.add; drop ALL and add back at most "
                    "NET_BIND_SERVICE.",
        check=_baseline_capabilities,
        kyverno_policy="disallow-capabilities",
        kyverno_rules=(
            KyvernoRule("adding-capabilities", lambda p: _foreach_deny(
                "Capabilities beyond the baseline set are not allowed.", p,
                [_any_outside("element.securityContext.capabilities.add", BASELINE_CAPABILITIES)])),
        ),
        url=BASELINE_URL,
    ),
    WorkloadControl(
        rule="k8s-no-host-process",
        description="No pod or container runs as a Windows HostProcess.",
        severity=Severity.CRITICAL,
        controls=(cis_k8s("5.2.11"), baseline("HostProcess")),
        remediation="Remove securityContext.windowsOptions.hostProcess (or set it false) on the pod and containers.",
        check=_host_process,
        kyverno_policy="disallow-host-process",
        kyverno_rules=(
            KyvernoRule("host-process-containers", lambda p: _validate(
                "HostProcess containers are not allowed.", p,
                pattern=_pod_and_containers_pattern({"=(windowsOptions)": {"=(hostProcess)": False}}))),
        ),
        url=BASELINE_URL,
    ),
    WorkloadControl(
        rule="k8s-proc-mount-default",
        description="Containers keep the default, masked /proc mount.",
        severity=Severity.HIGH,
        controls=(baseline("/proc Mount Type"),),
        remediation="Remove securityContext.procMount (or set it Default).",
        check=_proc_mount,
        kyverno_policy="disallow-proc-mount",
        kyverno_rules=(
            KyvernoRule("check-proc-mount", lambda p: _validate(
                "procMount must be Default.", p,
                pattern=_containers_pattern({"=(securityContext)": {"=(procMount)": "Default"}}))),
        ),
        url=BASELINE_URL,
    ),
    WorkloadControl(
        rule="k8s-safe-sysctls",
        description="Pods set only the safe, namespaced sysctls.",
        severity=Severity.HIGH,
        controls=(baseline("Sysctls"),),
        remediation="Remove every sysctl outside the safe set from securityContext.sysctls; tune the node instead.",
        check=_sysctls,
        kyverno_policy="restrict-sysctls",
        kyverno_rules=(
            KyvernoRule("check-sysctls", lambda p: _validate(
                "Only the safe sysctls are allowed.", p,
                pattern={"spec": {"=(securityContext)": {"=(sysctls)": [{"name": " | ".join(SAFE_SYSCTLS)}]}}})),
        ),
        url=BASELINE_URL,
    ),
    WorkloadControl(
        rule="k8s-selinux-options",
        description="Pods and containers set no custom SELinux user or role, and only the container SELinux types.",
        severity=Severity.HIGH,
        controls=(baseline("SELinux"),),
        remediation="Remove seLinuxOptions.user and .role; leave seLinuxOptions.type unset or one of "
                    + ", ".join(SELINUX_TYPES) + ".",
        check=_selinux,
        kyverno_policy="disallow-selinux",
        kyverno_rules=(
            KyvernoRule("selinux-type", lambda p: _foreach_deny(
                "The SELinux type must be unset or one of " + ", ".join(SELINUX_TYPES) + ".", p,
                [_any_outside("[element.seLinuxOptions.type || '']", ("", *SELINUX_TYPES))],
                items=_ALL_SECURITY_CONTEXTS)),
            KyvernoRule("selinux-user-role", lambda p: _foreach_deny(
                "A custom SELinux user or role is not allowed.", p,
                [{"key": f"{{{{ element.seLinuxOptions.{name} || '' }}}}", "operator": "NotEquals", "value": ""}
                 for name in ("user", "role")],
                items=_ALL_SECURITY_CONTEXTS)),
        ),
        url=BASELINE_URL,
    ),
    WorkloadControl(
        rule="k8s-apparmor-profile",
        description="Pods and containers keep AppArmor confinement: profile RuntimeDefault or Localhost, never "
                    "Unconfined (field or annotation).",
        severity=Severity.HIGH,
        controls=(baseline("AppArmor"),),
        remediation="Set securityContext.appArmorProfile.type RuntimeDefault (or Localhost) or leave it unset; "
                    "drop AppArmor annotations other than runtime/default or localhost/<profile>.",
        check=_apparmor,
        kyverno_policy="restrict-apparmor-profiles",
        kyverno_rules=(
            KyvernoRule("app-armor-profile", lambda p: _validate(
                "The AppArmor profile must be RuntimeDefault or Localhost.", p,
                pattern=_pod_and_containers_pattern({"=(appArmorProfile)": {"type": "RuntimeDefault | Localhost"}}))),
            # Every annotation is filtered in JMESPath: a pattern with a wildcard key checks one of them only.
            KyvernoRule("app-armor-annotations", lambda p: _deny(
                "AppArmor annotations must be runtime/default or localhost/<profile>.", p,
                [{"key": "{{ length(items(request.object.metadata.annotations || `{}`, 'key', 'value')"
                         f"[?starts_with(key, '{APPARMOR_ANNOTATION}') && value != '' && value != 'runtime/default'"
                         " && !starts_with(value, 'localhost/')]) }}",
                  "operator": "GreaterThan", "value": 0}])),
        ),
        url=BASELINE_URL,
    ),
    WorkloadControl(
        rule="k8s-probes-required",
        description="Long-running workloads define liveness and readiness probes.",
        severity=Severity.LOW,
        controls=(nist("4.4.3"),),
        remediation="Add livenessProbe and readinessProbe to every app container.",
        check=_probes,
        kyverno_policy="require-pod-probes",
        kyverno_rules=(
            KyvernoRule("validate-probes", lambda p: _validate(
                "Liveness and readiness probes are required.", p,
                pattern={"spec": {"template": {"spec": {"containers": [{
                    "livenessProbe": {"periodSeconds": ">0"}, "readinessProbe": {"periodSeconds": ">0"}}]}}}})),
        ),
        crossguard_kinds=SERVING_KINDS,
        kyverno_kinds=SERVING_KINDS,
        url="https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
    ),
    WorkloadControl(
        rule="k8s-no-default-namespace",
        description="Workloads run in their own namespace, never in default.",
        severity=Severity.LOW,
        controls=(cis_eks("4.5.3"), cis_k8s("5.7.4")),
        remediation="Set metadata.namespace to the application's namespace.",
        check=_namespace,
        kyverno_policy="disallow-default-namespace",
        kyverno_rules=(
            KyvernoRule("validate-namespace", lambda p: _validate(
                "Using the default namespace is not allowed.", p, pattern={"metadata": {"namespace": "!default"}})),
        ),
        kyverno_kinds=ALL_WORKLOAD_KINDS,
        url="https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
    ),
    WorkloadControl(
        rule="k8s-no-sa-token-automount",
        description="Pods do not automount a service account token.",
        severity=Severity.MEDIUM,
        controls=(cis_eks("4.1.6"), cis_k8s("5.1.6")),
        remediation="Set automountServiceAccountToken false; mount a projected token only where the API is used.",
        check=_automount,
        kyverno_policy="restrict-automount-sa-token",
        kyverno_rules=(
            KyvernoRule("validate-automountServiceAccountToken", lambda p: _validate(
                "Auto-mounting service account tokens is not allowed.", p,
                pattern={"spec": {"automountServiceAccountToken": False}})),
        ),
        url="https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
    ),
    WorkloadControl(
        rule="k8s-no-default-service-account",
        description="Workloads run as their own service account, never the namespace's default one.",
        severity=Severity.MEDIUM,
        controls=(cis_eks("4.1.5"), cis_k8s("5.1.5")),
        remediation="Create a ServiceAccount per workload and set serviceAccountName to it.",
        check=_own_service_account,
        kyverno_policy="disallow-default-service-account",
        kyverno_rules=(
            KyvernoRule("require-own-service-account", lambda p: _deny(
                "Pods must run as their own ServiceAccount, not the namespace's default one.", p,
                [{"key": f"{{{{ {_ACCOUNT_NAME} }}}}", "operator": "Equals", "value": name}
                 for name in ("", DEFAULT_ACCOUNT)])),
        ),
        url="https://kubernetes.io/docs/concepts/security/service-accounts/",
    ),
    WorkloadControl(
        rule="k8s-service-account-no-automount",
        description="ServiceAccounts set automountServiceAccountToken false; a pod that calls the API opts in "
                    "itself.",
        severity=Severity.MEDIUM,
        controls=(cis_eks("4.1.6"), cis_k8s("5.1.6")),
        remediation="Set automountServiceAccountToken: false on the ServiceAccount; set it true on the pods "
                    "that call the Kubernetes API.",
        check=_account_automount,
        kyverno_policy="restrict-service-account-automount",
        kyverno_rules=(
            KyvernoRule("service-account-automount-false", lambda p: _validate(
                "ServiceAccounts must set automountServiceAccountToken false.", p,
                pattern={"automountServiceAccountToken": False})),
        ),
        crossguard_kinds=("ServiceAccount",),
        kyverno_kinds=("ServiceAccount",),
        # Kubernetes creates a `default` ServiceAccount in every namespace, and the program neither
        # declares nor patches them; pods never run as one (k8s-no-default-service-account).
        kyverno_excluded_names=(DEFAULT_ACCOUNT,),
        url="https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"
            "#opt-out-of-api-credential-automounting",
    ),
    WorkloadControl(
        rule="k8s-no-plaintext-secret-env",
        description="No container carries a secret as a literal environment value.",
        severity=Severity.HIGH,
        controls=(nist("4.1.4"),),
        remediation="Keep the value in a Secret synced by External Secrets and mount it as a read-only file.",
        check=_secret_env,
        kyverno_policy="disallow-secrets-in-env",
        kyverno_rules=(
            KyvernoRule("secret-env-not-literal", lambda p: _foreach_deny(
                "Secret-like environment variables must not hold literal values; mount the Secret as a file.", p,
                [{"key": f"{{{{ regex_match('{SECRET_NAME_PATTERN}', '{{{{element.name}}}}') }}}}",
                  "operator": "Equals", "value": True},
                 {"key": "{{ element.value || '' }}", "operator": "NotEquals", "value": ""},
                 {"key": "{{ ends_with(element.name, '_FILE') && starts_with(element.value || '', '/') }}",
                  "operator": "Equals", "value": False}],
                items="request.object.spec.[ephemeralContainers, initContainers, containers][].env[]",
                combine="all")),
        ),
        url="https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables",
    ),
    WorkloadControl(
        rule="k8s-secrets-as-files",
        description="Containers read Secrets from mounted files, never from environment variables (secretKeyRef, "
                    "envFrom secretRef), which leak through /proc, crash dumps and child processes.",
        severity=Severity.MEDIUM,
        controls=(cis_eks("4.4.1"), cis_k8s("5.4.1")),
        remediation="Mount the Secret as a read-only volume and have the application read the file.",
        check=_secret_env_refs,
        kyverno_policy="secrets-not-from-env-vars",
        kyverno_rules=(
            KyvernoRule("secrets-not-from-env-vars", lambda p: _validate(
                "Secrets must be mounted as files, not read into environment variables.", p,
                pattern=_containers_pattern({"=(env)": [{"=(valueFrom)": {"X(secretKeyRef)": "null"}}]}))),
            KyvernoRule("secrets-not-from-envfrom", lambda p: _validate(
                "Secrets must be mounted as files, not read into environment variables.", p,
                pattern=_containers_pattern({"=(envFrom)": [{"X(secretRef)": "null"}]}))),
        ),
        url="https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod",
    ),
    WorkloadControl(
        rule="k8s-namespace-psa-restricted",
        description="Namespaces enforce the restricted Pod Security Standard.",
        severity=Severity.HIGH,
        controls=(pss("enforce"), cis_eks("4.2.1")),
        remediation="Label the namespace pod-security.kubernetes.io/enforce=restricted.",
        check=_psa,
        kyverno_policy="require-psa-restricted-label",
        kyverno_rules=(
            KyvernoRule("check-psa-enforce-label", lambda p: _validate(
                "Namespaces must enforce the restricted Pod Security Standard.", p,
                pattern={"metadata": {"labels": {PSA_LABEL: "restricted"}}})),
        ),
        crossguard_kinds=("Namespace",),
        kyverno_kinds=("Namespace",),
        config=PSA_CONFIG,
        url="https://kubernetes.io/docs/concepts/security/pod-security-admission/",
    ),
)


def control(rule: str) -> WorkloadControl:
    return next(c for c in CATALOG if c.rule == rule)
