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
        selector = {"LaunchTemplateId": template["id"]} if template.get("id") else {"LaunchTemplateName": template["name"]}
        version = str(template.get("version") or "$Default")
        versions = account.read(
            ("ec2.template", template.get("id") or template.get("name"), version),
            lambda: account.client("ec2").describe_launch_template_versions(**selector, Versions=[version])["LaunchTemplateVersions"],
        )
        if not versions:
            raise EvidenceMissing(f"launch template version {version} not found", {"launchTemplate": template})
        return template, versions[0].get("LaunchTemplateData", {})

    def imdsv2() -> Verdict:
        template, data = template_data()
        if template is None:
            return Verdict(False, "node group has no launch template: IMDS defaults allow IMDSv1", {"launchTemplate": None})
        options = data.get("MetadataOptions", {})
        passed = options.get("HttpTokens") == "required" and options.get("HttpPutResponseHopLimit") == 1
        message = f"HttpTokens={options.get('HttpTokens')}, hop limit={options.get('HttpPutResponseHopLimit')}"
        return Verdict(passed, message, {"launchTemplate": template, "MetadataOptions": options})

    def volumes() -> Verdict:
        template, data = template_data()
        if template is None:
            return Verdict(False, "node group has no launch template: volume encryption is not declared", {"launchTemplate": None})
        ebs = [m.get("Ebs", {}) for m in data.get("BlockDeviceMappings", []) if "Ebs" in m]
        unencrypted = [e for e in ebs if e.get("Encrypted") is not True]
        passed = bool(ebs) and not unencrypted
        message = "all EBS volumes encrypted" if passed else (
            "launch template declares no EBS volume" if not ebs else f"{len(unencrypted)} EBS volume(s) not encrypted")
        return Verdict(passed, message, {"launchTemplate": template, "BlockDeviceMappings": data.get("BlockDeviceMappings", [])})

    resource = outputs.label("nodeGroupName")
    return [
        Control("nodegroup-imdsv2-required", resource, imdsv2),
        Control("nodegroup-volumes-encrypted", resource, volumes),
    ]
