"""A small GraphQL client for a running runlens (standard library only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class RunlensUnreachable(Exception):
    """The runlens API could not be reached or did not answer with GraphQL."""


class GraphQLFailure(Exception):
    """The API answered with GraphQL errors; `code` is the first error's `extensions.code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class GraphQLClient:
    def __init__(self, api_url: str, api_key: str | None = None, timeout_s: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self._timeout_s = timeout_s
        self._headers = {"content-type": "application/json"}
        if api_key:
            self._headers["authorization"] = f"Bearer {api_key}"

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        """The `data` of the answer; `GraphQLFailure` when it carries errors."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(
            f"{self.api_url}/graphql", data=body, method="POST", headers=self._headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                answer = json.load(exc)
            except ValueError:
                raise RunlensUnreachable(
                    f"the runlens API at {self.api_url} answered HTTP {exc.code}"
                ) from exc
            if not isinstance(answer, dict) or not answer.get("errors"):
                raise RunlensUnreachable(
                    f"the runlens API at {self.api_url} answered HTTP {exc.code}"
                ) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise RunlensUnreachable(
                f"cannot reach the runlens API at {self.api_url}: {reason}"
            ) from exc
        errors = answer.get("errors")
        if errors:
            first = errors[0]
            code = str((first.get("extensions") or {}).get("code", ""))
            raise GraphQLFailure(code, str(first.get("message", "GraphQL error")))
        data: dict[str, Any] = answer["data"]
        return data
