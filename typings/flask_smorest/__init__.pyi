# flask-smorest ships no type information (no py.typed). What mypy must know: abort() always
# raises (an HTTPException carrying the error body), so code after it is unreachable; it is
# webargs.flaskparser.abort re-exported, with this signature there. Everything else (Api,
# Blueprint, their decorators) stays Any, as without this stub.
from typing import Any, NoReturn

def abort(http_status_code: int, exc: Exception | None = None, **kwargs: Any) -> NoReturn: ...
def __getattr__(name: str) -> Any: ...
