"""The Kubernetes layer under mocks, dev and prod: restricted workloads, namespaces, Kyverno with the
catalogue, ArgoCD, External Secrets and the database with its backups."""
from __future__ import annotations

import json
import re
from pathlib import Path

from components.config_rules import APP_SECRET_KEYS
from components.secrets import DB_PASSWORD_KEY
from k8s_plan import manifest, manifests, pod_spec, workloads
from policies.kyverno import required_policy_names
from preflight.engine import run_with_settings
from preflight.mocks import MOCK_SIGNING_PUBLIC_KEY_PEM
from preflight.model import Plan, RecordedResource
from preflight.stack_files import load_stack_settings
from stack_variants import stack_variant

ACCOUNTS = {"dev": "111111111111", "prod": "222222222222"}
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # how the engine marks a secret value
RELEASE = "kubernetes:helm.sh/v3:Release"
CLUSTER_POLICY = "kubernetes:kyverno.io/v1:ClusterPolicy"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def registry(plan: Plan) -> str:
    return f"{ACCOUNTS[plan.stack]}.dkr.ecr.eu-west-1.amazonaws.com"


def release(plan: Plan, chart: str) -> RecordedResource:
    return next(r for r in plan.by_type(RELEASE) if r.inputs["chart"] == chart)


def role_policy(plan: Plan, role_name: str) -> list[dict]:
    role = next(r for r in plan.by_type("aws:iam/role:Role") if r.inputs["name"] == role_name)
    policy = next(r for r in plan.by_type("aws:iam/rolePolicy:RolePolicy") if r.parent == role.parent and r.name == f"{role.name}-policy")
    return json.loads(policy.inputs["policy"])["Statement"]


def trust_subject(plan: Plan, role_name: str) -> str:
    role = next(r for r in plan.by_type("aws:iam/role:Role") if r.inputs["name"] == role_name)
    condition = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    return next(v for k, v in condition.items() if k.endswith(":sub"))


def custom(plan: Plan, kind: str) -> list[RecordedResource]:
    return [r for r in plan.resources if r.type.startswith("kubernetes:") and r.type.endswith(f":{kind}")]


# Chart values the program may set, as documented in each pinned chart's values.yaml/README. Helm
# ignores a key the chart does not read, so a misplaced key is a setting that silently never applies.
# A path ends where the chart takes a free-form map or list (resources, annotations, argocd-cm keys).
KYVERNO_KEYS = {
    ("admissionController", "replicas"), ("admissionController", "container", "resources"),
    ("admissionController", "container", "extraEnvVars"),
    ("admissionController", "rbac", "serviceAccount", "name"), ("admissionController", "rbac", "serviceAccount", "annotations"),
    ("reportsController", "extraEnvVars"),
    ("reportsController", "rbac", "serviceAccount", "name"), ("reportsController", "rbac", "serviceAccount", "annotations"),
    *((controller, key) for controller in ("backgroundController", "cleanupController", "reportsController") for key in ("replicas", "resources")),
    ("config", "webhooks"), ("features", "registryClient", "credentialHelpers"), ("features", "forceFailurePolicyIgnore", "enabled"),
    ("features", "policyExceptions", "enabled"), ("features", "policyExceptions", "namespace"),
    ("cleanupController", "rbac", "clusterRole", "extraResources"),
}
ARGO_CD_KEYS = {
    *(("configs", "cm", key) for key in ("exec.enabled", "users.anonymous.enabled", "admin.enabled", "oidc.config")),
    ("configs", "params", "server.insecure"), ("configs", "rbac", "policy.default"), ("configs", "secret", "extra"),
    ("server", "replicas"), ("server", "service", "type"), ("server", "ingress", "enabled"), ("server", "resources"),
    ("repoServer", "replicas"), ("repoServer", "resources"), ("controller", "replicas"), ("controller", "resources"),
    ("redis", "resources"), ("dex", "enabled"), ("notifications", "enabled"),
}
EXTERNAL_SECRETS_KEYS = {
    ("installCRDs",), ("replicaCount",), ("resources",), ("leaderElect",), ("podDisruptionBudget", "enabled"),
    ("serviceAccount", "create"), ("serviceAccount", "name"),
    ("webhook", "replicaCount"), ("webhook", "resources"), ("webhook", "port"), ("webhook", "podDisruptionBudget", "enabled"),
    ("certController", "replicaCount"), ("certController", "resources"),
}

# Security contexts that give each chart's pods the stack's fixed identity (test_chart_identities).
# Read from the closest chart versions available, not the pinned ones (to confirm against them):
# Kyverno: a vendored 3.x charts/kyverno/values.yaml (linode/apl-core@76aad767); Argo CD:
# argoproj/argo-helm charts/argo-cd/values.yaml@004041de (global.securityContext, redis.securityContext)
# and templates/redis/deployment.yaml@05f7c6c2, redisSecretInit.containerSecurityContext only from
# values written against 9.x charts; External Secrets: deploy/charts/external-secrets/values.yaml@00c5cec5.
KYVERNO_KEYS |= {
    *((controller, "podSecurityContext") for controller in ("admissionController", "backgroundController", "cleanupController", "reportsController")),
    ("admissionController", "container", "securityContext"), ("admissionController", "initContainer", "securityContext"),
    *((controller, "securityContext") for controller in ("backgroundController", "cleanupController", "reportsController")),
    *((*job, key) for job in (("webhooksCleanup",), ("policyReportsCleanup",), ("cleanupJobs", "admissionReports"),
                              ("cleanupJobs", "clusterAdmissionReports")) for key in ("podSecurityContext", "securityContext")),
}
ARGO_CD_KEYS |= {("global", "securityContext"), ("redis", "securityContext"), ("redisSecretInit", "containerSecurityContext")}
EXTERNAL_SECRETS_KEYS |= {
    (*component, key) for component in ((), ("webhook",), ("certController",)) for key in ("podSecurityContext", "securityContext")
}


def value_paths(values: dict, documented: set[tuple[str, ...]], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path the values set, each cut where a documented key starts its free-form content."""
    paths = []
    for key, value in values.items():
        path = prefix + (key,)
        if path in documented or not isinstance(value, dict):
            paths.append(path)
        else:
            paths.extend(value_paths(value, documented, path))
    return paths


def undocumented(values: dict, documented: set[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return [p for p in value_paths(values, documented) if p not in documented]


# --- every Kubernetes resource ------------------------------------------------------------------

def test_every_kubernetes_resource_uses_the_cluster_provider(plan: Plan):
    provider = plan.one("pulumi:providers:kubernetes")
    k8s = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert len(k8s) > 60
    for resource in k8s:
        assert resource.provider and resource.provider.startswith(provider.urn + "::"), resource.urn


def test_workloads_run_restricted(plan: Plan):
    docs = workloads(plan)
    assert sorted((d["kind"], d["metadata"]["name"]) for d in docs) == [
        ("CronJob", "db-backup"), ("CronJob", "db-backup-freshness"), ("CronJob", "db-backup-restore-drill"),
        ("Deployment", "backend"), ("Deployment", "frontend"),
        ("StatefulSet", "postgres"),
    ]
    for doc in docs:
        spec = pod_spec(doc)
        where = doc["metadata"]["name"]
        assert spec["serviceAccountName"] not in ("", "default"), where
        assert spec["automountServiceAccountToken"] is False, where
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] > 0, where
        assert spec["securityContext"]["fsGroup"] > 0 and spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), where
        assert all("hostPath" not in v for v in spec.get("volumes", [])), where
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["privileged"] is False, where
            assert context["readOnlyRootFilesystem"] is True and context["capabilities"] == {"drop": ["ALL"]}, where
            assert context["runAsNonRoot"] is True and context["runAsUser"] > 0, where
            assert set(container["resources"]) == {"requests", "limits"}, where
            assert all(set(container["resources"][k]) == {"cpu", "memory"} for k in ("requests", "limits")), where
            assert DIGEST.search(container["image"]), container["image"]
            assert not any(p.get("hostPort") for p in container.get("ports", [])), where
            if doc["kind"] != "CronJob":
                assert "livenessProbe" in container and "readinessProbe" in container, where


def test_workloads_read_secrets_only_as_read_only_files(plan: Plan):
    readers = {}
    for doc in workloads(plan):
        spec = pod_spec(doc)
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            assert not any("valueFrom" in env for env in container.get("env", [])), container["env"]
            # Mounts without a pod volume are the StatefulSet's claims.
            secret_mounts = [m for m in container["volumeMounts"] if "secret" in volumes.get(m["name"], {})]
            assert all(m["readOnly"] is True for m in secret_mounts), secret_mounts
            secret_paths = {m["mountPath"]: volumes[m["name"]]["secret"] for m in secret_mounts}
            for env in container["env"]:
                if re.search(r"(?i)passw|secret|token", env["name"]):
                    directory, _, key = env["value"].rpartition("/")
                    secret = secret_paths[directory]
                    assert secret["secretName"] == "app-secrets" and secret["defaultMode"] == 0o440
                    assert secret["items"] == [{"key": key, "path": key}]
                    readers[doc["metadata"]["name"]] = (env["name"], key)
    assert readers == {
        "backend": ("DB_PASSWORD_FILE", DB_PASSWORD_KEY), "postgres": ("POSTGRES_PASSWORD_FILE", DB_PASSWORD_KEY),
        "db-backup": ("PGPASSWORD_FILE", DB_PASSWORD_KEY), "db-backup-restore-drill": ("PGPASSWORD_FILE", DB_PASSWORD_KEY),
    }
    assert APP_SECRET_KEYS == (DB_PASSWORD_KEY,)  # the config rule and the synced Secret name the same key


def test_every_workload_runs_as_its_own_high_uid(plan: Plan):
    uids = {}
    for doc in workloads(plan):
        spec = pod_spec(doc)
        context = spec["securityContext"]
        assert context["runAsUser"] == context["runAsGroup"] == context["fsGroup"] >= 10000, doc["metadata"]["name"]
        assert all(c["securityContext"]["runAsUser"] == context["runAsUser"] for c in spec["containers"])
        uids[doc["metadata"]["name"]] = context["runAsUser"]
    assert uids == {"frontend": 10001, "backend": 10001, "postgres": 10002, "db-backup": 10003, "db-backup-freshness": 10003,
                    "db-backup-restore-drill": 10003}


def test_replicas_spread_over_zones_in_prod_only(plan: Plan):
    for doc in workloads(plan):
        if doc["kind"] == "Deployment":
            spread = pod_spec(doc).get("topologySpreadConstraints")
            assert bool(spread) is (plan.stack == "prod")
            if spread:
                assert spread[0]["topologyKey"] == "topology.kubernetes.io/zone" and spread[0]["whenUnsatisfiable"] == "DoNotSchedule"


def test_every_service_has_a_disruption_budget_and_a_cluster_ip_service(plan: Plan):
    docs = manifests(plan)
    budgets = {d["metadata"]["name"] for d in docs if d["kind"] == "PodDisruptionBudget"}
    services = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "Service"}
    assert budgets == {"frontend", "backend", "postgres"}
    assert {s.get("type", "ClusterIP") for s in services.values()} == {"ClusterIP"}
    assert services["postgres"]["clusterIP"] == "None"


def test_namespaces_are_restricted_and_the_app_namespace_has_quota_and_limits(plan: Plan):
    docs = manifests(plan)
    namespaces = {d["metadata"]["name"]: d["metadata"]["labels"] for d in docs if d["kind"] == "Namespace"}
    assert set(namespaces) == {"app", "kyverno", "argocd", "external-secrets"}
    for name, labels in namespaces.items():
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", name
    assert {d["metadata"]["namespace"] for d in docs if d["kind"] == "LimitRange"} == set(namespaces)
    quota = next(d for d in docs if d["kind"] == "ResourceQuota")
    assert quota["metadata"]["namespace"] == "app"
    hard = quota["spec"]["hard"]
    assert hard["services.loadbalancers"] == "0" and hard["services.nodeports"] == "0"
    # Room for every replica and a surge twin: dev runs 1+1+1 replicas, the backup, the freshness job and the restore drill.
    if plan.stack == "dev":
        assert hard["pods"] == "12" and hard["limits.cpu"] == "7000m"


# --- Kyverno ------------------------------------------------------------------------------------

def test_kyverno_release_is_pinned_ha_in_prod_and_has_its_irsa_role(plan: Plan):
    kyverno = release(plan, "kyverno")
    assert kyverno.inputs["version"] == "3.7.2" and kyverno.inputs["repositoryOpts"]["repo"] == "https://kyverno.github.io/kyverno/"
    assert kyverno.inputs["namespace"] == "kyverno" and kyverno.inputs["createNamespace"] is False
    values = kyverno.inputs["values"]
    assert values["admissionController"]["replicas"] == (3 if plan.stack == "prod" else 1)
    assert values["admissionController"]["container"]["extraEnvVars"] == [{"name": "AWS_REGION", "value": "eu-west-1"}]
    prefix = f"devsecops-{plan.stack}"
    role_arn = f"arn:aws:iam::{ACCOUNTS[plan.stack]}:role/{prefix}-kyverno"
    assert values["admissionController"]["rbac"]["serviceAccount"] == {
        "name": "kyverno-admission-controller", "annotations": {"eks.amazonaws.com/role-arn": role_arn},
    }
    assert trust_subject(plan, f"{prefix}-kyverno") == "system:serviceaccount:kyverno:kyverno-admission-controller"
    excluded = values["config"]["webhooks"]["namespaceSelector"]["matchExpressions"][0]
    assert excluded["operator"] == "NotIn" and "kube-system" in excluded["values"]


def test_the_reports_controller_verifies_signatures_with_its_own_irsa_role_and_region(plan: Plan):
    """Background scans re-verify running images; without the role and region every report is a registry error."""
    values = release(plan, "kyverno").inputs["values"]["reportsController"]
    prefix = f"devsecops-{plan.stack}"
    assert values["rbac"]["serviceAccount"] == {
        "name": "kyverno-reports-controller",
        "annotations": {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNTS[plan.stack]}:role/{prefix}-kyverno-reports"},
    }
    assert values["extraEnvVars"] == [{"name": "AWS_REGION", "value": "eu-west-1"}]
    assert trust_subject(plan, f"{prefix}-kyverno-reports") == "system:serviceaccount:kyverno:kyverno-reports-controller"
    assert role_policy(plan, f"{prefix}-kyverno-reports") == role_policy(plan, f"{prefix}-kyverno")


def test_every_chart_value_is_a_key_its_pinned_chart_reads(plan: Plan):
    for chart, documented in (("kyverno", KYVERNO_KEYS), ("argo-cd", ARGO_CD_KEYS), ("external-secrets", EXTERNAL_SECRETS_KEYS)):
        assert undocumented(release(plan, chart).inputs["values"], documented) == [], chart


def test_a_misplaced_chart_value_is_caught():
    # The admission controller reads `container.resources`; the background controller does not.
    values = {"backgroundController": {"replicas": 2, "container": {"resources": {"limits": {"cpu": "1"}}}}}
    assert undocumented(values, KYVERNO_KEYS) == [("backgroundController", "container", "resources", "limits", "cpu")]


def test_every_kyverno_controller_gets_the_stacks_resources(plan: Plan):
    values = release(plan, "kyverno").inputs["values"]
    assert values["admissionController"]["container"]["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}
    for controller in ("backgroundController", "cleanupController", "reportsController"):
        assert values[controller]["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}, controller
        assert values[controller]["replicas"] == (2 if plan.stack == "prod" else 1), controller


def test_foreach_rules_never_judge_a_delete(plan: Plan):
    """Kyverno runs foreach deny rules on DELETE too; without this a compliant pod could not be deleted."""
    guarded = []
    for policy in plan.by_type(CLUSTER_POLICY):
        for rule in policy.inputs["spec"]["rules"]:
            if "foreach" in rule.get("validate", {}):
                condition, = rule["preconditions"]["all"]
                assert condition == {"key": "{{ request.operation || 'BACKGROUND' }}", "operator": "NotEquals", "value": "DELETE"}
                guarded.append(rule["name"])
    assert sorted(guarded) == ["adding-capabilities", "adding-capabilities-strict", "require-drop-all",
                               "secret-env-not-literal", "selinux-type", "selinux-user-role"]


def test_kyverno_role_reads_only_this_stacks_repositories_and_signing_keys(plan: Plan):
    statements = {s["Sid"]: s for s in role_policy(plan, f"devsecops-{plan.stack}-kyverno")}
    repos = sorted(f"arn:aws:ecr:eu-west-1:{ACCOUNTS[plan.stack]}:repository/devsecops-{plan.stack}/{i}" for i in ("frontend", "backend", "db-backup"))
    assert sorted(statements["ReadStackRepositories"]["Resource"]) == repos
    assert statements["ReadSigningPublicKeys"]["Action"] == ["kms:GetPublicKey", "kms:DescribeKey"]
    assert statements["ReadSigningPublicKeys"]["Resource"] == plan.outputs["signingKeyArns"] == [plan.outputs["signingKeyArn"]]
    assert statements["EcrLogin"]["Action"] == ["ecr:GetAuthorizationToken"]
    assert set(statements) == {"EcrLogin", "ReadStackRepositories", "ReadSigningPublicKeys"}


def test_cluster_policies_are_the_catalogue_and_depend_on_the_release(plan: Plan):
    policies = plan.by_type(CLUSTER_POLICY)
    assert sorted(p.inputs["metadata"]["name"] for p in policies) == sorted(required_policy_names())
    kyverno = release(plan, "kyverno")
    for policy in policies:
        # Critical controls block in every environment; the others follow kyvernoFailureAction.
        critical = policy.inputs["metadata"]["annotations"]["policies.kyverno.io/severity"] == "critical"
        action = "Enforce" if plan.stack == "prod" or critical else "Audit"
        assert kyverno.urn in policy.dependencies, policy.name
        spec = policy.inputs["spec"]
        assert "validationFailureAction" not in spec  # the deprecated policy-level field
        assert spec["webhookConfiguration"] == {"failurePolicy": "Fail" if action == "Enforce" else "Ignore", "timeoutSeconds": 15}
        for rule in spec["rules"]:
            actions = [rule["validate"]["failureAction"]] if "validate" in rule else [v["failureAction"] for v in rule["verifyImages"]]
            assert actions == [action], (policy.name, rule["name"])


def test_signature_policy_carries_the_kms_public_key_and_this_stacks_repositories(plan: Plan):
    policy = next(p for p in plan.by_type(CLUSTER_POLICY) if p.inputs["metadata"]["name"] == "verify-image-signatures")
    verify = policy.inputs["spec"]["rules"][0]["verifyImages"][0]
    # Follow the value: the key's public half, read from KMS by the keys component, is the policy's key.
    signing_key = next(r for r in plan.by_type("aws:kms/key:Key") if r.inputs.get("keyUsage") == "SIGN_VERIFY")
    assert verify["attestors"][0]["entries"][0]["keys"]["publicKeys"] == plan.outputs["signingPublicKeyPem"] == MOCK_SIGNING_PUBLIC_KEY_PEM
    assert signing_key.urn in policy.dependencies
    assert verify["imageReferences"] == [f"{registry(plan)}/devsecops-{plan.stack}/*"]
    assert verify["verifyDigest"] is True and verify["required"] is True


def test_registry_policy_allows_this_stacks_registry_and_the_allow_list_only(plan: Plan):
    policy = next(p for p in plan.by_type(CLUSTER_POLICY) if p.inputs["metadata"]["name"] == "restrict-image-registries")
    pattern = policy.inputs["spec"]["rules"][0]["validate"]["pattern"]["spec"]["containers"][0]["image"]
    assert pattern == f"{registry(plan)}/* | public.ecr.aws/docker/library/*"


def test_the_key_reaches_only_the_signature_policy(plan: Plan):
    signing_key = next(r for r in plan.by_type("aws:kms/key:Key") if r.inputs.get("keyUsage") == "SIGN_VERIFY")
    waiting = [p.inputs["metadata"]["name"] for p in plan.by_type(CLUSTER_POLICY) if signing_key.urn in p.dependencies]
    assert waiting == ["verify-image-signatures"]


# --- ArgoCD -------------------------------------------------------------------------------------

def test_argocd_is_pinned_internal_and_keeps_admin_only_without_sso(plan: Plan):
    argocd = release(plan, "argo-cd")
    assert argocd.inputs["version"] == "9.1.0" and argocd.inputs["namespace"] == "argocd"
    values = argocd.inputs["values"]
    assert values["server"]["service"]["type"] == "ClusterIP" and values["server"]["ingress"]["enabled"] is False
    assert values["configs"]["cm"]["admin.enabled"] is True  # no SSO configured in the shipped stacks
    assert values["configs"]["cm"]["exec.enabled"] is False and values["configs"]["rbac"]["policy.default"] == ""


def test_argocd_with_sso_turns_local_admin_off_and_keeps_the_secret_secret(tmp_path):
    sso = {
        "argocdSsoIssuer": "https://login.example.com", "argocdSsoClientId": "argocd", "argocdSsoClientSecret": {"secure": "v1:AAAA"},
        "argocdUrl": "https://argocd.internal.example.com", "argocdAdminGroups": ["platform-admins"], "argocdReadonlyGroups": ["developers"],
    }
    plan = run_with_settings(load_stack_settings(stack_variant(tmp_path, changes=sso)))
    values = release(plan, "argo-cd").inputs["values"]
    cm = values["configs"]["cm"]
    assert cm["admin.enabled"] is False
    assert cm["url"] == "https://argocd.internal.example.com"
    # With the local admin off, the named groups are the only way in; everyone else has no rights.
    assert values["configs"]["rbac"] == {"policy.default": "", "policy.csv": "g, platform-admins, role:admin\ng, developers, role:readonly\n"}
    assert "issuer: https://login.example.com" in cm["oidc.config"] and "clientID: argocd" in cm["oidc.config"]
    # The ConfigMap only points at the secret; the value travels as a secret into argocd-secret.
    assert "$oidc.clientSecret" in cm["oidc.config"] and "offline-secret-placeholder" not in cm["oidc.config"]
    assert SECRET_SIG in values["configs"]["secret"]["extra"]["oidc.clientSecret"]
    assert "offline-secret-placeholder" not in json.dumps(plan.outputs, default=str)


def test_appproject_and_application_are_limited_to_the_configured_repository(plan: Plan):
    project, = custom(plan, "AppProject")
    application, = custom(plan, "Application")
    repo = "https://github.com/example-org/devsecops-platform.git"
    spec = project.inputs["spec"]
    assert spec["sourceRepos"] == [repo]
    assert spec["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": "app"}]
    assert spec["clusterResourceWhitelist"] == []
    blacklisted = {(r["group"], r["kind"]) for r in spec["namespaceResourceBlacklist"]}
    assert {("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "RoleBinding"), ("*", "NetworkPolicy")} <= blacklisted
    app = application.inputs["spec"]
    assert app["project"] == project.inputs["metadata"]["name"] != "default"
    assert app["source"] == {"repoURL": repo, "path": f"deploy/{plan.stack}", "targetRevision": "main"}
    assert app["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert app["destination"]["namespace"] == "app"
    assert release(plan, "argo-cd").urn in application.dependencies and project.urn in application.dependencies


# --- External Secrets and the database password -------------------------------------------------

def test_eso_role_names_only_the_app_secret_and_its_key(plan: Plan):
    eso = release(plan, "external-secrets")
    prefix = f"devsecops-{plan.stack}"
    assert eso.inputs["version"] == "1.3.2" and eso.inputs["values"]["installCRDs"] is True
    # The controller holds no AWS identity; the app namespace's reader service account does.
    assert "annotations" not in eso.inputs["values"]["serviceAccount"]
    reader = next(d for d in manifests(plan) if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "secrets-reader")
    assert reader["metadata"]["namespace"] == "app" and reader["automountServiceAccountToken"] is False
    assert reader["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNTS[plan.stack]}:role/{prefix}-external-secrets"}
    statements = {s["Sid"]: s for s in role_policy(plan, f"{prefix}-external-secrets")}
    assert statements["ReadAppSecrets"]["Resource"] == [plan.outputs["dbPasswordSecretArn"]]
    assert statements["DecryptAppSecrets"]["Resource"] == plan.outputs["kmsKeyArns"]["app-secrets"]
    assert statements["DecryptAppSecrets"]["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}
    assert trust_subject(plan, f"{prefix}-external-secrets") == "system:serviceaccount:app:secrets-reader"


def test_eso_replicas_elect_a_leader_in_prod(plan: Plan):
    values = release(plan, "external-secrets").inputs["values"]
    prod = plan.stack == "prod"
    assert values["replicaCount"] == (2 if prod else 1)
    assert values["leaderElect"] is prod and values["podDisruptionBudget"] == {"enabled": prod}


def test_db_password_is_generated_kms_encrypted_and_never_plaintext(plan: Plan):
    secret = plan.one("aws:secretsmanager/secret:Secret")
    assert secret.inputs["kmsKeyId"] == plan.outputs["kmsKeyArns"]["app-secrets"]
    assert secret.protect is (plan.stack == "prod")
    version = plan.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert SECRET_SIG in version.inputs["secretString"]  # a secret value on the wire, so encrypted in state
    assert "secretString" in version.additional_secret_outputs
    password = plan.one("random:index/randomPassword:RandomPassword")
    assert "result" in password.additional_secret_outputs and password.inputs["length"] >= 32
    plaintext = version.inputs["secretString"]["value"]
    assert plaintext not in json.dumps(plan.outputs, default=str)
    assert all(plaintext not in json.dumps(r.inputs) for r in plan.resources if r is not version)


def test_external_secret_syncs_the_password_into_the_app_namespace(plan: Plan):
    external, = custom(plan, "ExternalSecret")
    store, = custom(plan, "SecretStore")
    assert external.inputs["metadata"]["namespace"] == store.inputs["metadata"]["namespace"] == "app"
    assert external.inputs["spec"]["target"]["name"] == "app-secrets"
    assert external.inputs["spec"]["data"] == [{"secretKey": DB_PASSWORD_KEY, "remoteRef": {"key": f"devsecops-{plan.stack}/app/db-password"}}]
    assert store.inputs["spec"]["provider"]["aws"] == {
        "service": "SecretsManager", "region": "eu-west-1", "auth": {"jwt": {"serviceAccountRef": {"name": "secrets-reader"}}},
    }
    eso = release(plan, "external-secrets")
    reader = next(r for r in plan.by_type("kubernetes:core/v1:ServiceAccount") if r.inputs["metadata"]["name"] == "secrets-reader")
    assert eso.urn in external.dependencies and eso.urn in store.dependencies and reader.urn in store.dependencies


# --- database and backups -----------------------------------------------------------------------

def test_postgres_statefulset_keeps_its_volume(plan: Plan):
    resource = plan.one("kubernetes:apps/v1:StatefulSet")
    spec = manifest(resource)["spec"]
    assert resource.protect is (plan.stack == "prod")
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    claim, = spec["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "gp3-encrypted"
    container, = spec["template"]["spec"]["containers"]
    assert container["image"].startswith("public.ecr.aws/docker/library/postgres:16.4@sha256:")
    assert container["env"][-1] == {"name": "POSTGRES_PASSWORD_FILE", "value": f"/var/run/secrets/app/{DB_PASSWORD_KEY}"}
    assert container["readinessProbe"]["exec"]["command"][0] == "pg_isready"
    # Liveness waits for startup (initdb, crash recovery) to finish, for up to ten minutes.
    startup = container["startupProbe"]
    assert startup["exec"] == container["livenessProbe"]["exec"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 600


def test_backup_bucket_is_encrypted_versioned_private_tls_only_and_expires(plan: Plan):
    bucket = plan.one("aws:s3/bucket:Bucket", "database-backups")
    name = f"devsecops-{plan.stack}-db-backups-{ACCOUNTS[plan.stack]}"
    assert bucket.inputs["bucket"] == name == plan.outputs["backupBucketName"]
    assert bucket.protect is (plan.stack == "prod") and bucket.inputs["forceDestroy"] is False
    assert plan.outputs["backupKmsKeyArn"] == plan.outputs["kmsKeyArns"]["backups"]
    sse = plan.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "database-backups-encryption").inputs["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": plan.outputs["backupKmsKeyArn"]}
    assert plan.one("aws:s3/bucketVersioning:BucketVersioning", "database-backups-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    block = plan.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "database-backups-public-access").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"))
    deny, = json.loads(plan.one("aws:s3/bucketPolicy:BucketPolicy", "database-backups-policy").inputs["policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    rule, = plan.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rule["expiration"]["days"] == 35 and rule["noncurrentVersionExpiration"]["noncurrentDays"] == 35


def test_backup_role_is_limited_to_the_bucket_prefix(plan: Plan):
    prefix = f"devsecops-{plan.stack}"
    statements = {s["Sid"]: s for s in role_policy(plan, f"{prefix}-db-backup")}
    bucket_arn = f"arn:aws:s3:::{plan.outputs['backupBucketName']}"
    assert statements["BackupObjects"]["Resource"] == f"{bucket_arn}/postgres/*"
    assert "s3:DeleteObjectVersion" in statements["BackupObjects"]["Action"]  # the scripts' documented needs
    assert all(s["Resource"] != "*" for s in statements.values())
    assert statements["ListBackupPrefix"]["Resource"] == bucket_arn
    assert statements["ListBackupPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["postgres/*"]}}
    assert statements["UseBackupKeyThroughS3"]["Resource"] == plan.outputs["backupKmsKeyArn"]
    assert trust_subject(plan, f"{prefix}-db-backup") == "system:serviceaccount:app:db-backup"


def test_backup_cronjob_runs_the_repository_scripts_once_at_a_time(plan: Plan):
    cron = manifest(plan.one("kubernetes:batch/v1:CronJob", "database-backup"))["spec"]
    assert cron["schedule"] == "0 2 * * *" and cron["concurrencyPolicy"] == "Forbid"
    assert cron["successfulJobsHistoryLimit"] == 3 and cron["failedJobsHistoryLimit"] == 3 and cron["startingDeadlineSeconds"] > 0
    job = cron["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] == 3600
    container, = job["template"]["spec"]["containers"]
    assert container["image"].startswith(f"{registry(plan)}/devsecops-{plan.stack}/db-backup@sha256:")
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert set(env) == {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD_FILE", "PGDATABASE", "BACKUP_BUCKET", "BACKUP_PREFIX", "BACKUP_KMS_KEY_ID", "AWS_REGION"}
    assert env["BACKUP_BUCKET"] == plan.outputs["backupBucketName"] and env["BACKUP_KMS_KEY_ID"] == plan.outputs["backupKmsKeyArn"]
    assert env["PGPASSWORD_FILE"] == f"/var/run/secrets/app/{DB_PASSWORD_KEY}"
    scripts = manifest(plan.one("kubernetes:core/v1:ConfigMap"))["data"]
    on_disk = {p.name: p.read_text() for p in (Path(__file__).resolve().parents[2] / "app" / "db-backup").glob("*.py")}
    assert scripts == on_disk and "backup.py" in scripts and "restore.py" in scripts
    assert container["command"] == ["python3", "/app/backup.py"]  # where the db-backup image keeps them
    account = next(d for d in manifests(plan) if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "db-backup")
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNTS[plan.stack]}:role/devsecops-{plan.stack}-db-backup"}


def test_freshness_cronjob_checks_backups_hourly_without_the_database_password(plan: Plan):
    cron = manifest(plan.one("kubernetes:batch/v1:CronJob", "database-backup-freshness"))["spec"]
    assert cron["schedule"] == "17 * * * *" and cron["concurrencyPolicy"] == "Forbid"
    pod = cron["jobTemplate"]["spec"]["template"]["spec"]
    container, = pod["containers"]
    assert container["command"] == ["python3", "/app/freshness.py"]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env == {
        "PGDATABASE": "app", "BACKUP_BUCKET": plan.outputs["backupBucketName"], "BACKUP_PREFIX": "postgres/",
        "AWS_REGION": "eu-west-1", "BACKUP_MAX_AGE_HOURS": "26",
    }
    assert pod["serviceAccountName"] == "db-backup"  # the IRSA role that may list the backup prefix
    assert all("secret" not in volume for volume in pod["volumes"])


def test_protect_only_in_prod(plan: Plan):
    protected = sorted(r.type for r in plan.resources if r.protect and (r.type.startswith("kubernetes:") or r.type.startswith(("aws:s3", "aws:secretsmanager"))))
    # The database's backup bucket and the evidence bucket, the database password, the database.
    expected = ["aws:s3/bucket:Bucket", "aws:s3/bucket:Bucket", "aws:secretsmanager/secret:Secret", "kubernetes:apps/v1:StatefulSet"]
    assert protected == (expected if plan.stack == "prod" else [])
