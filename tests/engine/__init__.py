"""Tests of the check engine (cdccheck/engine/)."""
