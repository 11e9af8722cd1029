"""Shared fixtures: the lab's example expression and a modest hypothesis profile."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from chainrule import Const, Exp, Expr, Mul, Sum, Var

settings.register_profile(
    "chainrule",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# CI explores the same examples on every run, so a red build is reproducible and main stays green
# for a reason; local runs keep exploring new random examples (and keep failures in the database).
settings.register_profile(
    "chainrule-ci",
    parent=settings.get_profile("chainrule"),
    derandomize=True,
    database=None,
    print_blob=True,
)
settings.load_profile("chainrule-ci" if os.environ.get("CHAINRULE_CI") else "chainrule")


@pytest.fixture
def z() -> Expr:
    """The lab's z = 4xy + e^-y, built in the lab's keyword style."""
    x, y = Var("x"), Var("y")
    return Sum(x=Mul(x=Mul(x=Const(4), y=x), y=y), y=Exp(x=Mul(x=Const(-1), y=y)))
