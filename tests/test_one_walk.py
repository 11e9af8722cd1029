"""One walk: traverse.py is the only place that walks a tree with an explicit stack.

Every other module folds (``fold``, ``fold_cases``, ``postorder``) or asks
``descend`` for a walk that stops early.  The scan below finds the shape of a
hand-written walk: a ``while`` loop whose condition names a list that its
body pops (``while stack: node = stack.pop()``).  The parser's shunting-yard
loops pop their operator stack inside a helper, and are not tree walks: the
scan does not flag them, by design.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from chainrule import Const, Sum, Var, parse
from chainrule.nodes import Exp, Mul, TanH, children
from chainrule.traverse import count_nodes, descend, fold, fold_cases, postorder, tree_size_at_most

SOURCE = Path(__file__).resolve().parent.parent / "src" / "chainrule"

#: Where the walk itself lives.
HOME = {"traverse.py"}

#: Modules that still hold a loop of their own, each owned by another branch this round.
#: The lead shrinks this at merge: a module whose loop is gone must leave the list (tested below).
ALLOWED = {
    # show's emitter expands print templates (strings and nodes) depth-first: not a fold over nodes.
    "show.py": "the template emitter walks pieces of text, not a DAG",
    # Not chainrule DAGs: the fold works on Expr nodes only.
    "interop_sympy.py": "from_sympy walks a SymPy tree (SymPy objects, keyed by id)",
    "serialize.py": "finding node types walks Python's class hierarchy, not an expression",
}


def _stack_loops(tree: ast.AST) -> list[int]:
    """Line numbers of ``while`` loops that pop a list named in their own condition
    (``stack.pop()``, or ``pop()`` after ``pop = stack.pop``)."""
    aliases: dict[str, str] = {}  # pop = stack.pop, or pop, push = stack.pop, stack.append
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            pairs = (
                zip(target.elts, value.elts, strict=False)
                if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                else [(target, value)]
            )
            for name, bound in pairs:
                if (
                    isinstance(name, ast.Name)
                    and isinstance(bound, ast.Attribute)
                    and bound.attr == "pop"
                    and isinstance(bound.value, ast.Name)
                ):
                    aliases[name.id] = bound.value.id
    found = []
    for loop in ast.walk(tree):
        if not isinstance(loop, ast.While):
            continue
        named = {node.id for node in ast.walk(loop.test) if isinstance(node, ast.Name)}
        for node in ast.walk(ast.Module(body=loop.body, type_ignores=[])):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            popped = (
                func.value.id
                if isinstance(func, ast.Attribute) and func.attr == "pop" and isinstance(func.value, ast.Name)
                else aliases.get(func.id)
                if isinstance(func, ast.Name)
                else None
            )
            if popped in named:
                found.append(loop.lineno)
                break
    return found


def _modules_with_loops() -> dict[str, list[int]]:
    found = {}
    for path in sorted(SOURCE.glob("*.py")):
        lines = _stack_loops(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[path.name] = lines
    return found


def test_the_scan_finds_a_hand_written_walk() -> None:
    text = "def f(root):\n    stack = [root]\n    while stack:\n        node = stack.pop()\n"
    assert _stack_loops(ast.parse(text)) == [3]
    aliased = "def f(todo):\n    pop = todo.pop\n    while todo:\n        pop()\n"
    assert _stack_loops(ast.parse(aliased)) == [3]
    assert _stack_loops(ast.parse("while x < 3:\n    x += 1\n")) == []


def test_no_explicit_stack_walk_outside_traverse() -> None:
    found = _modules_with_loops()
    strays = {name: lines for name, lines in found.items() if name not in HOME and name not in ALLOWED}
    assert not strays, f"walk with traverse.fold/postorder/descend instead of a loop of your own: {strays}"


def test_the_allowlist_only_names_modules_that_still_need_it() -> None:
    found = _modules_with_loops()
    stale = sorted(name for name in ALLOWED if name not in found)
    assert not stale, f"these modules no longer walk by hand; remove them from ALLOWED: {stale}"
    assert set(found) >= HOME


# The walk's own behaviours -----------------------------------------------------------------


def test_prune_keeps_the_walk_out_of_a_node() -> None:
    x = Var("x")
    inner = Sum(x, Const(1))
    root = Mul(Exp(inner), x)
    seen = postorder(root, prune=lambda node: type(node) is Exp)
    assert seen == [Exp(inner), x, root]  # inner and its children are never entered
    visited: list[tuple[object, list[int]]] = []

    def visit(node: object, kids: list[int]) -> int:
        visited.append((node, kids))
        return 1 + sum(kids)

    assert fold(root, visit, prune=lambda node: type(node) is Exp) == 3
    assert (Exp(inner), []) in visited  # a pruned node is visited as a leaf


def test_prune_still_visits_a_node_reached_outside_the_pruned_part() -> None:
    x, y = Var("x"), Var("y")
    shared = Sum(x, y)
    root = Mul(Exp(shared), shared)
    order = postorder(root, prune=lambda node: type(node) is Exp)
    assert order == [Exp(shared), x, y, shared, root]


def test_postorder_lists_children_first_in_field_order_and_each_node_once() -> None:
    e = parse("(a + b) * (a + b) - c")
    order = postorder(e)
    assert [str(n) for n in order] == ["a", "b", "(a + b)", "((a + b) * (a + b))", "c", str(e)]
    assert postorder(e, e) == order  # several roots share one visit


def test_fold_cases_gets_children_results_in_field_order() -> None:
    e = parse("a - b")

    def case_for(kind: type) -> object:
        return lambda node, *kids: str(node) if not kids else "(" + " ".join(kids) + ")"

    assert fold_cases(e, case_for) == "(a b)"  # type: ignore[arg-type]


def test_descend_stops_at_its_limit_and_asks_follow_per_edge() -> None:
    x = Var("x")
    square = Mul(x, x)
    asked: list[object] = []

    def follow(kid: object) -> bool:
        asked.append(kid)
        return True

    assert descend(square, follow) == 3  # the shared x is entered once per edge
    assert asked == [x, x]
    deep = x
    for _ in range(100_000):
        deep = TanH(deep)
    assert descend(deep, lambda kid: True, limit=10) == 10


@pytest.mark.parametrize("limit", [1, 2, 5, 50])
def test_count_nodes_and_tree_size_at_most_agree_with_the_full_walks(limit: int) -> None:
    e = parse("(a + b) * (a + b) - exp(c) * (a + b)")
    assert count_nodes(e) == len(postorder(e))
    assert count_nodes(e, limit) >= min(limit, len(postorder(e)))
    tree = 1 + sum(1 for _ in _tree(e))
    assert tree_size_at_most(e, limit) is (tree <= limit)


def _tree(e: object) -> list[object]:
    # The tree form's non-root nodes, small expressions only (a test oracle, not a walk of the library).
    out = []
    pending = list(children(e))  # type: ignore[arg-type]
    for node in pending:
        out.append(node)
        pending.extend(children(node))  # type: ignore[arg-type]
    return out


def test_every_walk_is_safe_at_depth_100_000() -> None:
    x = Var("x")
    deep = x
    for _ in range(100_000):
        deep = TanH(deep)
    assert len(postorder(deep)) == 100_001
    assert count_nodes(deep) == 100_001
    assert not tree_size_at_most(deep, 99_999)
    assert fold(deep, lambda node, kids: 1 + sum(kids), prune=lambda node: False) == 100_001
