"""Figures for the policymaker: aggregate counts per period and group, small numbers hidden."""
