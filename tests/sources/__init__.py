"""Tests of the sources: corpus files, Redis ranges, consumer groups, the embedded server."""
