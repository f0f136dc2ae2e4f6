"""The one exception hierarchy of newssearch.

Every error a user can cause is a subclass of NewssearchError whose message
reads as a complete sentence for the user; the CLI prints it on one line.
"""


class NewssearchError(Exception):
    """Base class for every error newssearch raises on purpose."""


class InputError(NewssearchError):
    """A path or file given to newssearch cannot be used."""


class IndexNotFoundError(NewssearchError):
    """There is no index at the requested location yet."""


class IndexBusyError(NewssearchError):
    """Another process is writing to the index."""


class IndexWriteError(NewssearchError):
    """The index could not be written (disk full, no permission); committed work is kept."""


class IndexFormatError(NewssearchError):
    """The index on disk is unreadable or was written by an incompatible version."""


class ModelError(NewssearchError):
    """The embedding model cannot be found, verified or loaded."""


class ModelMismatchError(ModelError):
    """The index was built with another model than the one requested."""


class ClusterError(NewssearchError):
    """The Ray cluster cannot be reached, or could not finish a batch; committed work is kept."""


class FilterError(NewssearchError):
    """A search filter (date, source) or search option is invalid."""


class ArticleNotFoundError(NewssearchError):
    """No article with the requested id is in the index."""


class DependencyError(NewssearchError):
    """A library newssearch needs is missing or broken: an installation problem, not bad input."""

    def __init__(self, error: ImportError):
        super().__init__(f"a library newssearch needs cannot be imported ({error}); reinstall newssearch "
                         "with its dependencies (pip install -e .)")


def first_line(error: BaseException) -> str:
    """The first line of an error's message (a library's may run to pages), or the
    error's type when it has none: what a one-line error quotes of a cause."""
    message = str(error).strip()
    return message.splitlines()[0] if message else type(error).__name__

