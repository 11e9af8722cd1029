"""SymPy both ways: ``to_sympy`` and ``from_sympy``, iterative and sharing-aware.

SymPy is an optional extra (``pip install chainrule[sympy]``), imported only
when one of these functions is called.

Both directions are tables keyed by node type, so a node type added later
(or a user's) is one entry: ``TO_SYMPY[MyNode] = lambda sympy, node, evaluate, *args: ...``
and ``FROM_SYMPY["MyFunction"] = lambda *children: MyNode(*children)``.

From SymPy:

- n-ary ``Add`` and ``Mul`` become left-nested binary ``Sum``/``Mul`` nodes; a
  term ``-1 * t`` becomes a ``Sub`` and factors with negative integer powers
  become a ``Div``.
- A power becomes the power node ``x ** y`` (``Pow``); a negative integer
  power in a product is a division (``x / y**2``), and ``sqrt(x)`` (SymPy's
  ``x**(1/2)``) is ``Sqrt``.  ``sin``, ``cos`` and the sigmoid and softplus
  are functions both ways: ``Sigmoid(u)`` goes to SymPy as
  ``1/(1 + exp(-u))`` and ``Softplus(u)`` as ``log(1 + exp(u))`` (SymPy has
  neither), and those exact forms come back as the stable nodes.
- ``Rational(p, q)`` becomes ``Div(Const(p), Const(q))``: exact as data, and
  evaluated as Python's correctly rounded ``p / q``.  A ``Float`` becomes
  the nearest float; ``E`` is ``Exp(Const(1))``, ``pi`` and other number
  symbols their nearest float.
- A function chainrule lacks, an infinity or NaN raises ``ChainruleError``
  naming it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from .errors import ChainruleError
from .functions import Cos, Pow, Sigmoid, Sin, Softplus, Sqrt
from .nodes import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var
from .traverse import fold_cases

__all__ = ["to_sympy", "from_sympy", "TO_SYMPY", "FROM_SYMPY"]


def _sympy() -> Any:
    try:
        import sympy
    except ImportError:
        raise ImportError(
            "chainrule's SymPy conversion needs SymPy: pip install 'chainrule[sympy]' (or sympy)"
        ) from None
    return sympy


def _const(sympy: Any, node: Const, evaluate: bool) -> Any:
    value = node.value
    return sympy.Integer(value) if type(value) is int else sympy.Float(value)


#: Node type -> ``case(sympy, node, evaluate, *children_as_sympy)``.
TO_SYMPY: dict[type, Callable[..., Any]] = {
    Const: _const,
    Var: lambda sympy, node, evaluate: sympy.Symbol(node.name),
    Sum: lambda sympy, node, evaluate, x, y: sympy.Add(x, y, evaluate=evaluate),
    Sub: lambda sympy, node, evaluate, x, y: sympy.Add(
        x, sympy.Mul(sympy.S.NegativeOne, y, evaluate=evaluate), evaluate=evaluate
    ),
    Mul: lambda sympy, node, evaluate, x, y: sympy.Mul(x, y, evaluate=evaluate),
    Div: lambda sympy, node, evaluate, x, y: sympy.Mul(
        x, sympy.Pow(y, sympy.S.NegativeOne, evaluate=evaluate), evaluate=evaluate
    ),
    Exp: lambda sympy, node, evaluate, x: sympy.exp(x, evaluate=evaluate),
    Log: lambda sympy, node, evaluate, x: sympy.log(x, evaluate=evaluate),
    TanH: lambda sympy, node, evaluate, x: sympy.tanh(x, evaluate=evaluate),
    Pow: lambda sympy, node, evaluate, x, y: sympy.Pow(x, y, evaluate=evaluate),
    Sqrt: lambda sympy, node, evaluate, x: sympy.Pow(x, sympy.S.Half, evaluate=evaluate),
    Sin: lambda sympy, node, evaluate, x: sympy.sin(x, evaluate=evaluate),
    Cos: lambda sympy, node, evaluate, x: sympy.cos(x, evaluate=evaluate),
    Sigmoid: lambda sympy, node, evaluate, x: sympy.Pow(
        sympy.Add(
            sympy.S.One,
            sympy.exp(sympy.Mul(sympy.S.NegativeOne, x, evaluate=evaluate), evaluate=evaluate),
            evaluate=evaluate,
        ),
        sympy.S.NegativeOne,
        evaluate=evaluate,
    ),
    Softplus: lambda sympy, node, evaluate, x: sympy.log(
        sympy.Add(sympy.S.One, sympy.exp(x, evaluate=evaluate), evaluate=evaluate), evaluate=evaluate
    ),
}


def to_sympy(expr: Expr, *, evaluate: bool = True) -> Any:
    """The SymPy expression of ``expr``; each distinct subexpression is converted once.

    ``evaluate=False`` keeps SymPy from simplifying as it builds (``x + 0``
    stays).  SymPy's automatic evaluation flattens a sum at a cost that grows
    with its length and recurses into arguments (a few thousand levels deep
    it fails, which raises ChainruleError here); unevaluated, any depth
    converts, in time linear in the distinct nodes.
    """
    if not isinstance(expr, Expr):
        raise TypeError(f"to_sympy expects an expression, got {type(expr).__name__}")
    sympy = _sympy()

    def case_for(kind: type) -> Callable[..., Any]:
        case = TO_SYMPY.get(kind)
        if case is None:
            raise ChainruleError(
                f"to_sympy: no SymPy form for the node type {kind.__name__} (add TO_SYMPY[{kind.__name__}])"
            )
        return lambda node, *kids: case(sympy, node, evaluate, *kids)

    try:
        return fold_cases(expr, case_for)
    except RecursionError:  # SymPy's own evaluation recurses into the arguments: ours does not
        raise ChainruleError(
            "to_sympy: SymPy's automatic evaluation recursed too deeply on this expression; "
            "to_sympy(expr, evaluate=False) converts it at any depth"
        ) from None


# ---------------------------------------------------------------------------------------------------
# From SymPy


def _product(factors: list[Expr]) -> Expr:
    result = factors[0]
    for factor in factors[1:]:
        result = Mul(result, factor)
    return result


def _power(base: Expr, exponent: int) -> Expr:
    """``base ** exponent`` (a positive integer): the power node, or the base itself for 1."""
    if exponent == 1:
        return base
    try:
        return Pow(base, Const(exponent))
    except (TypeError, ValueError, OverflowError) as exc:
        raise ChainruleError(
            f"from_sympy: the exponent {exponent:.3e} has no chainrule constant: {exc}"
        ) from None


def _add(terms: list[tuple[bool, Expr]]) -> Expr:
    """Left-nested sums of ``(negated, term)`` pairs: a negated term is subtracted, led by a positive one."""
    for index, (negated, _) in enumerate(terms):
        if not negated:
            terms.insert(0, terms.pop(index))
            break
    negated, result = terms[0]
    if negated:
        result = Const(-result.value) if isinstance(result, Const) else Mul(_MINUS_ONE, result)
    for negated, term in terms[1:]:
        result = Sub(result, term) if negated else Sum(result, term)
    return result


_MINUS_ONE = Const(-1)
_ONE = Const(1)

#: SymPy function name -> ``build(*children)`` for SymPy functions with a chainrule node.
FROM_SYMPY: dict[str, Callable[..., Expr]] = {
    "exp": Exp,
    "log": Log,
    "tanh": TanH,
    "sin": Sin,
    "cos": Cos,
}


def from_sympy(sympy_expr: Any) -> Expr:
    """The chainrule expression of a SymPy expression (see the module's notes for each kind).

    Iterative, so depth is no problem; an object SymPy shares is converted once.
    """
    sympy = _sympy()
    root = sympy.sympify(sympy_expr)
    memo: dict[int, Expr] = {}
    keep: list[Any] = []  # memo is keyed by id(): keep every converted object alive meanwhile
    known: dict[int, tuple[Callable[[Expr], Expr], Any]] = {}  # a sigmoid or softplus form: its argument
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        item, ready = stack.pop()
        if id(item) in memo:
            continue
        if not ready:
            stack.append((item, True))
            found = _function_form(sympy, item)
            if found is not None:
                known[id(item)] = found
                keep.append(found[1])
                stack.append((found[1], False))
            elif isinstance(item, sympy.Pow) and (item.exp.is_Integer or item.exp == sympy.S.Half):
                stack.append((item.base, False))  # the exponent stays a SymPy number
            elif not item.is_Atom:
                stack.extend((arg, False) for arg in reversed(item.args) if id(arg) not in memo)
            continue
        if id(item) in known:
            build, argument = known[id(item)]
            memo[id(item)] = build(memo[id(argument)])
        else:
            memo[id(item)] = _convert(sympy, item, memo)
        keep.append(item)
    return memo[id(root)]


def _function_form(sympy: Any, item: Any) -> tuple[Callable[[Expr], Expr], Any] | None:
    """``1/(1 + exp(-u))`` is the sigmoid of u and ``log(1 + exp(u))`` the softplus of u: (node, u).

    These are the forms ``to_sympy`` writes; they come back as the nodes computed without overflow.
    """
    build: Callable[[Expr], Expr]
    if isinstance(item, sympy.Pow) and item.exp == sympy.S.NegativeOne:
        inner, build = item.base, Sigmoid
    elif isinstance(item, sympy.log) and len(item.args) == 1:
        inner, build = item.args[0], Softplus
    else:
        return None
    if not isinstance(inner, sympy.Add) or len(inner.args) != 2 or sympy.S.One not in inner.args:
        return None
    other = inner.args[0] if inner.args[1] == sympy.S.One else inner.args[1]
    if not isinstance(other, sympy.exp):
        return None
    argument = other.args[0]
    if build is Sigmoid:
        argument = -argument
    return build, argument


def _convert(sympy: Any, item: Any, memo: dict[int, Expr]) -> Expr:
    """One SymPy node, its arguments already converted."""
    if item.is_Integer:
        return _number(int(item), item)
    if item.is_Rational:
        return Div(_number(int(item.p), item), _number(int(item.q), item))
    if item.is_Float:
        return _number(float(item), item)
    if item is sympy.E:
        return Exp(_ONE)
    if item.is_NumberSymbol:
        return _number(float(item), item)
    if item.is_Symbol:
        if not item.name.isidentifier():
            raise ChainruleError(f"from_sympy: symbol name {item.name!r:.80} is not a Python identifier")
        return Var(item.name)
    if isinstance(item, sympy.Pow):
        exponent = item.exp
        base = memo[id(item.base)]
        if exponent == sympy.S.Half:
            return Sqrt(base)
        if not exponent.is_Integer:
            return Pow(base, memo[id(exponent)])
        n = int(exponent)
        if n == 0:
            return _ONE
        power = _power(base, abs(n))
        return power if n > 0 else Div(_ONE, power)
    if isinstance(item, sympy.Add):
        return _add([_term(sympy, arg, memo) for arg in item.args])
    if isinstance(item, sympy.Mul):
        return _mul(sympy, item.args, memo)
    if isinstance(item, sympy.Function):
        name = type(item).__name__
        build = FROM_SYMPY.get(name)
        if build is None:
            raise ChainruleError(
                f"from_sympy: chainrule has no node for the SymPy function {name} (in {_quote(item)})"
            )
        return build(*[memo[id(arg)] for arg in item.args])
    raise ChainruleError(
        f"from_sympy: chainrule has no node for SymPy's {type(item).__name__} ({_quote(item)})"
    )


def _term(sympy: Any, item: Any, memo: dict[int, Expr]) -> tuple[bool, Expr]:
    """A summand as ``(negated, magnitude)``: ``-2*x`` is ``(True, 2*x)``, so the sum can subtract it."""
    if item.is_Number and item.is_negative:
        return True, _convert(sympy, -item, memo)
    if isinstance(item, sympy.Mul) and item.args[0].is_Number and item.args[0].is_negative:
        coefficient = -item.args[0]
        rest = item.args[1:]
        return True, _mul(sympy, rest if coefficient == 1 else (coefficient, *rest), memo)
    return False, memo[id(item)]


def _mul(sympy: Any, factors: Sequence[Any], memo: dict[int, Expr]) -> Expr:
    """A product: left-nested ``Mul``, with the factors of negative power gathered into one ``Div``."""
    numerator: list[Expr] = []
    denominator: list[Expr] = []
    for arg in factors:
        if id(arg) in memo and isinstance(memo[id(arg)], Sigmoid):
            numerator.append(memo[id(arg)])  # 1/(1 + exp(-u)) came back as a sigmoid
        elif isinstance(arg, sympy.Pow) and arg.exp.is_Integer and arg.exp < 0:
            denominator.append(_power(memo[id(arg.base)], -int(arg.exp)))
        elif arg.is_Rational and not arg.is_Integer and arg.p == 1:
            denominator.append(_number(int(arg.q), arg))
        elif arg.is_Number:  # converted here: _term passes a negated coefficient nobody visited
            numerator.append(_convert(sympy, arg, memo))
        else:
            numerator.append(memo[id(arg)])
    top = _product(numerator) if numerator else _ONE
    return Div(top, _product(denominator)) if denominator else top


def _number(value: int | float, item: Any) -> Const:
    try:
        return Const(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ChainruleError(
            f"from_sympy: the number {_quote(item)} has no chainrule constant: {exc}"
        ) from None


def _quote(item: Any) -> str:
    """A short text for an error: SymPy's printer recurses, so only a shallow expression is printed."""
    text = type(item).__name__ + "(...)"
    if item.is_Atom or all(arg.is_Atom for arg in item.args):
        with contextlib.suppress(ValueError):  # an integer too long for str()
            text = str(item)
    return text if len(text) <= 80 else text[:77] + "..."
