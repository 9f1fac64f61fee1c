"""Tests of the sidecar: the consume loop, the fleet summary, faults with real processes."""
