"""Managed node group controls, read through the node group's launch template."""
from __future__ import annotations

from ..account import Account
from ..control import Control, EvidenceMissing, Verdict
from ..outputs import StackOutputs


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    def template_data() -> tuple[dict | None, dict]:
        cluster, nodegroup = outputs.require("clusterName"), outputs.require("nodeGroupName")
        group = account.read(
            ("eks.nodegroup", cluster, nodegroup),
            lambda: account.client("eks").describe_nodegroup(clusterName=cluster, nodegroupName=nodegroup)["nodegroup"],
        )
        template = group.get("launchTemplate")
        if not template:
            return None, {}
        if template.get("id"):
            selector = {"LaunchTemplateId": template["id"]}
        else:
            selector = {"LaunchTemplateName": template["name"]}
        version = str(template.get("version") or "$Default")

        def describe() -> list[dict]:
            ec2 = account.client("ec2")
            return ec2.describe_launch_template_versions(**selector, Versions=[version])["LaunchTemplateVersions"]

        versions = account.read(("ec2.template", *selector.values(), version), describe)
        if not versions:
            raise EvidenceMissing(f"launch template version {version} not found", {"launchTemplate": template})
        return template, versions[0].get("LaunchTemplateData", {})

    def imdsv2() -> Verdict:
        template, data = template_data()
        if template is None:
            return Verdict(False, "no launch template: the IMDS defaults allow IMDSv1", {"launchTemplate": None})
        options = data.get("MetadataOptions", {})
        passed = options.get("HttpTokens") == "required" and options.get("HttpPutResponseHopLimit") == 1
        message = f"HttpTokens={options.get('HttpTokens')}, hop limit={options.get('HttpPutResponseHopLimit')}"
        return Verdict(passed, message, {"launchTemplate": template, "MetadataOptions": options})

    def volumes() -> Verdict:
        template, data = template_data()
        if template is None:
            return Verdict(False, "no launch template: volume encryption is not declared", {"launchTemplate": None})
        mappings = data.get("BlockDeviceMappings", [])
        ebs = [m["Ebs"] for m in mappings if "Ebs" in m]
        unencrypted = [e for e in ebs if e.get("Encrypted") is not True]
        if not ebs:
            message = "the launch template declares no EBS volume"
        elif unencrypted:
            message = f"{len(unencrypted)} of {len(ebs)} EBS volume(s) not encrypted"
        else:
            message = "all EBS volumes encrypted"
        evidence = {"launchTemplate": template, "BlockDeviceMappings": mappings}
        return Verdict(bool(ebs) and not unencrypted, message, evidence)

    resource = outputs.label("nodeGroupName")
    return [
        Control("nodegroup-imdsv2-required", resource, imdsv2),
        Control("nodegroup-volumes-encrypted", resource, volumes),
    ]
