"""What must exist comes from the stack's settings; the outputs file is checked against them.

An outputs file that names fewer repositories, another CI trust, or keys of another account never
narrows what is checked: the disagreement is itself an error, and the settings' values are checked.
"""
from __future__ import annotations

import boto3

from moto_server import FAKE_CREDENTIALS
from preflight.verify import StackOutputs
from preflight.verify.expected import BUCKET_KEYS
from preflight.verify.judgement import against_stack, without_stack
from preflight.verify_command import evidence_report, expected_stack
from verify_account import (
    ACCOUNT_ID, BUCKET, CI_ROLE, CLUSTER, KEY_ROLES, NODE_GROUP, REGION, REPOSITORIES, SUBJECT, build_account, write_stack_file,
)

ECR_RULES = ("ecr-immutable-tags", "ecr-scan-on-push", "ecr-kms-encryption", "ecr-lifecycle-policy",
             "ecr-repository-policy-no-wildcard-principal")
AZURE_DEVOPS_SETTINGS = """
  devsecops-platform:ciProvider: azure-devops
  devsecops-platform:ciAzureDevOpsOrganizationId: 8f3a1c2e-5b7d-4e9f-a1c3-d5e7f9a1b3c5
  devsecops-platform:ciAzureDevOpsServiceConnection: example-org/platform/aws-deploy
"""


def test_the_settings_name_what_the_test_account_builds(expected):
    settled = expected.settled

    assert (settled["region"], settled["accountId"], settled["clusterName"], settled["nodeGroupName"]) == (
        REGION, ACCOUNT_ID, CLUSTER, NODE_GROUP)
    assert settled["ecrRepositoryNames"] == REPOSITORIES  # <namePrefix>-<stack>/<image> for each ecrImages entry
    assert (settled["backupBucketName"], settled["ciRoleName"]) == (BUCKET, CI_ROLE)
    assert settled["clusterLogGroupName"] == f"/aws/eks/{CLUSTER}/cluster"
    assert settled["ciTrust"]["subject"] == SUBJECT  # repo:<ciRepository>:ref:refs/heads/<ciBranch>
    assert expected.key_purposes == KEY_ROLES


def test_an_azure_devops_stack_pins_the_service_connection(tmp_path):
    path = write_stack_file(tmp_path)
    path.write_text(path.read_text().replace("  devsecops-platform:ciRepository: example-org/devsecops-platform\n",
                                             AZURE_DEVOPS_SETTINGS))

    trust = expected_stack(path).settled["ciTrust"]

    assert trust == {"provider": "azure-devops", "issuer": "vstoken.dev.azure.com/8f3a1c2e-5b7d-4e9f-a1c3-d5e7f9a1b3c5",
                     "subject": "sc://example-org/platform/aws-deploy", "audience": "api://AzureADTokenExchange"}


def test_an_empty_repository_list_is_an_error_and_every_repository_is_still_checked(expected):
    judgement = against_stack(expected, StackOutputs({"ecrRepositoryNames": {}}))

    assert [p.key for p in judgement.problems] == ["ecrRepositoryNames"]
    assert judgement.values.require("ecrRepositoryNames", dict) == REPOSITORIES


def test_a_missing_repository_left_out_of_the_outputs_is_still_checked_and_an_error(aws, expected):
    outputs = build_account(aws.endpoint_url)
    ecr = boto3.client("ecr", endpoint_url=aws.endpoint_url, region_name=REGION, **FAKE_CREDENTIALS)
    ecr.delete_repository(repositoryName=REPOSITORIES["db-backup"], force=True)
    outputs["ecrRepositoryNames"] = {image: name for image, name in REPOSITORIES.items() if image != "db-backup"}

    report = evidence_report(against_stack(expected, StackOutputs(outputs, "outputs.json")), expected.stack,
                             session=boto3.session.Session(**FAKE_CREDENTIALS), endpoint_url=aws.endpoint_url)

    assert report.verdict == "error"
    assert "ecrRepositoryNames" in report.errors[0].message and report.errors[0].path == "outputs.json"
    checked = {(r.name, r.urn) for r in report.resources if r.name in ECR_RULES}
    assert checked == {(rule, name) for rule in ECR_RULES for name in REPOSITORIES.values()}
    missing = [e for e in report.errors if e.path in ECR_RULES]
    assert len(missing) == len(ECR_RULES) and all(REPOSITORIES["db-backup"] in e.message for e in missing)


def test_a_wildcard_trust_in_the_outputs_is_an_error_and_the_configured_subject_is_checked(expected):
    trust = {**expected.settled["ciTrust"], "subject": "repo:example-org/*"}

    judgement = against_stack(expected, StackOutputs({"ciTrust": trust}))

    assert [p.key for p in judgement.problems] == ["ciTrust"]
    assert judgement.values.require("ciTrust.subject") == SUBJECT


def test_keys_outside_the_stacks_account_or_purposes_are_errors_and_not_checked(expected):
    keys = {role: f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{role}" for role in KEY_ROLES}
    keys.update(secrets="arn:aws:kms:eu-west-1:999999999999:key/theirs", logs="alias/aws/logs", extra="k")
    del keys["ebs"]

    judgement = against_stack(expected, StackOutputs({"kmsKeyArns": keys}))

    assert [p.message.split(" ")[0] for p in judgement.problems] == ["kmsKeyArns.secrets", "kmsKeyArns.logs", "kmsKeyArns"]
    checked = judgement.values.values["kmsKeyArns"]
    assert {purpose for purpose, arn in checked.items() if arn is None} == {"secrets", "logs", "ebs"}
    assert set(checked) == set(KEY_ROLES)


def test_an_output_of_the_wrong_type_is_an_error_naming_it(expected):
    judgement = against_stack(expected, StackOutputs({"clusterLogRetentionDays": True, "endpointPublicAccess": "false"}))

    assert [p.key for p in judgement.problems] == ["clusterLogRetentionDays", "endpointPublicAccess"]
    assert judgement.values.require("endpointPublicAccess", bool) is False


def test_a_set_value_that_disagrees_is_reported_against_set_and_the_settings_value_is_checked(expected):
    saved = StackOutputs({"clusterLogRetentionDays": 90}, "outputs.json", {"clusterLogRetentionDays": ("outputs.json", 3)})

    judgement = against_stack(expected, saved.merged({"clusterLogRetentionDays": 365}))

    [problem] = judgement.problems
    assert judgement.values.origin(problem.key) == ("--set clusterLogRetentionDays", None)
    assert judgement.values.require("clusterLogRetentionDays", int) == 90


def test_without_stack_settings_the_outputs_are_never_enough(expected):
    judgement = without_stack(StackOutputs({**expected.settled, "kmsKeyArns": {},
                                            **{output: "k" for output in BUCKET_KEYS}}))

    assert [p.key for p in judgement.problems] == [""]
    assert "verdict cannot be pass" in judgement.problems[0].message
