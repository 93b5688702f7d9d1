"""The compliance frameworks rules map to, so every rule names its control the same way.

A rule claims a control only where passing the rule means the control (or the part the reason names)
is met; tests/policies/test_compliance_claims.py holds the reason for every claim.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Framework:
    name: str
    version: str


CIS_EKS = Framework("CIS Amazon EKS Benchmark", "1.5.0")
CIS_K8S = Framework("CIS Kubernetes Benchmark", "1.9.0")
NIST_800_190 = Framework("NIST SP 800-190", "2017")
# For controls no container benchmark names (key management, audit log protection, boundary
# protection, authenticator lifetime, unsupported components).
NIST_800_53 = Framework("NIST SP 800-53", "Rev. 5")
AWS_FSBP = Framework("AWS Foundational Security Best Practices", "2024")
PSS = Framework("Kubernetes Pod Security Standards", "restricted")


@dataclass(frozen=True)
class Control:
    framework: Framework
    reference: str

    def label(self) -> str:
        return f"{self.framework.name} {self.reference}"


def cis_eks(ref: str) -> Control:
    return Control(CIS_EKS, ref)


def cis_k8s(ref: str) -> Control:
    return Control(CIS_K8S, ref)


def nist(ref: str) -> Control:
    return Control(NIST_800_190, ref)


def nist_800_53(ref: str) -> Control:
    return Control(NIST_800_53, ref)


def fsbp(ref: str) -> Control:
    return Control(AWS_FSBP, ref)


def pss(ref: str) -> Control:
    return Control(PSS, ref)
