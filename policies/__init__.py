"""The CrossGuard policy pack: rule modules, the workload catalogue shared with Kyverno, docs."""
