"""Declaring commands beside the functions that run them.

A command module makes one :class:`Commands` (a group such as ``models``, or top-level
commands) and decorates each action with its name, help and arguments::

    MODELS = Commands("models", help="the model registry: versions, aliases, cards")

    @MODELS.reply("versions", help="versions of a model, newest first",
                  document=versions_document, text=versions_text, arguments=(Arg("name"),))
    def list_versions(args, services): ...

:func:`~mlops_desktop.cli.main.build_parser` adds every group to the parser in one loop; each
command's parser carries ``handler`` (what :func:`~mlops_desktop.cli.main.main` calls with the
parsed arguments) and ``command_name`` (``"models versions"``, for messages and the log).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from mlops_desktop.cli.session import Handler, replying
from mlops_desktop.core.errors import UserFacingError

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What ``add_subparsers`` returns: where commands are added."""

Result = TypeVar("Result")
Action: TypeAlias = "Callable[[argparse.Namespace, Services], Result]"
JSON_HELP = "print one strict JSON document on stdout"


class Arg:
    """One ``add_argument`` call, kept until the parser is built."""

    def __init__(self, *flags: str, **options: Any) -> None:
        self.flags = flags
        self.options = options

    def add_to(self, parser: argparse._ActionsContainer) -> None:
        parser.add_argument(*self.flags, **self.options)


class OneOf:
    """Options of which at most one may be given."""

    def __init__(self, *args: Arg) -> None:
        self.args = args

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_mutually_exclusive_group()
        for arg in self.args:
            arg.add_to(group)


@dataclass
class _Declared:
    name: str
    help: str
    handler: Handler
    arguments: Sequence[Arg | OneOf]
    json: bool


@dataclass
class Commands:
    """The commands of one group (``runs``, ``models`` ...), or top-level ones when ``group``
    is None; ``--help`` lists them in the order they are declared."""

    group: str | None = None
    help: str = ""
    _declared: list[_Declared] = field(default_factory=list, init=False, repr=False)

    def handler(
        self, name: str, *, help: str, arguments: Sequence[Arg | OneOf] = (), json: bool = False
    ) -> Callable[[Handler], Handler]:
        """Declare a command whose function takes the parsed arguments and returns the exit
        status (it opens services itself, when it needs them)."""

        def declare(handler: Handler) -> Handler:
            self._declared.append(_Declared(name, help, handler, arguments, json))
            return handler

        return declare

    def reply(
        self,
        name: str,
        *,
        help: str,
        document: Callable[[Result], Any],
        text: Callable[[Result], str],
        arguments: Sequence[Arg | OneOf] = (),
    ) -> Callable[[Action[Result]], Action[Result]]:
        """Declare a command whose function works on open services and returns its result,
        printed as ``document(result)`` with ``--json``, else as ``text(result)``."""

        def declare(action: Action[Result]) -> Action[Result]:
            handler = replying(action, document, text)
            self._declared.append(_Declared(name, help, handler, arguments, True))
            return action

        return declare

    def add_to(self, commands: Subcommands) -> None:
        """Add the group (or the top-level commands) with every declared command."""
        if self.group is not None:
            group = commands.add_parser(self.group, help=self.help)
            commands = group.add_subparsers(
                dest=f"{self.group}_command", metavar="ACTION", required=True
            )
        for declared in self._declared:
            parser = commands.add_parser(declared.name, help=declared.help)
            _, _, command_name = parser.prog.partition(" ")  # "mlops-desktop runs list"
            parser.set_defaults(handler=declared.handler, command_name=command_name)
            for argument in declared.arguments:
                argument.add_to(parser)
            if declared.json:
                parser.add_argument("--json", action="store_true", help=JSON_HELP)


TAG_OPTION = Arg("--tag", action="append", default=[], metavar="K=V", help="repeatable")
"""``--tag K=V`` of ``data add`` and ``models register``."""


def key_value_pairs(
    items: list[str], error: type[UserFacingError], option: str = ""
) -> dict[str, str]:
    """``["k=v", ...]`` as a dict.

    Args:
        items: the ``KEY=VALUE`` texts as given.
        error: what to raise for an item without ``=`` or without a key.
        option: the option the items came with (``"--tag"``), named in the message.
    """
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            prefix = f"{option} " if option else ""
            raise error(f"{prefix}{item!r} is not KEY=VALUE.")
        pairs[key] = value
    return pairs
