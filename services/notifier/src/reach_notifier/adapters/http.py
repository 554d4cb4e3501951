"""The HTTP side shared by the provider adapters: one pooled client, errors as ChannelError."""

from __future__ import annotations

from typing import Any

import httpx

from reach_notifier.domain.channels import ChannelError


class HttpProvider:
    """A provider reached over HTTP; transport errors, 429 and 5xx are transient."""

    def __init__(self, *, base_url: str, timeout_s: float) -> None:
        self._base_url, self._timeout = base_url.rstrip("/"), timeout_s
        self._client: httpx.AsyncClient | None = None

    async def post(
        self, path: str, payload: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """POST JSON; returns the status and the JSON body of any answer below 500 but 429."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self._base_url,
                timeout=self._timeout,
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
            )
        try:
            response = await self._client.post(path, json=payload, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise ChannelError(
                f"provider unreachable: {type(error).__name__}", retryable=True
            ) from error
        except httpx.HTTPError as error:  # the request may have arrived: the answer was lost
            raise ChannelError(
                f"provider answer lost: {type(error).__name__}", retryable=True, ambiguous=True
            ) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise ChannelError(f"provider answered {response.status_code}", retryable=True)
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, dict) else {}

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
