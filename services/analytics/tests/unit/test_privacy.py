"""Contact details quoted in free text never leave analytics."""

from __future__ import annotations

from reach_analytics.domain.privacy import mask


def test_addresses_numbers_and_openids_are_masked_and_ids_are_kept() -> None:
    text = (
        "smtp 550 <li.na@example.com.cn> unknown; call 13812345678 or +86 139-12345678?"
        " openid oAbCdEfGhIjKlMnOpQrStUvWxYz1 client C00012345 trade T20261123SH00458812"
    )
    masked = mask(text)
    assert "example.com" not in masked and "13812345678" not in masked
    assert "12345678" not in masked.replace("T20261123SH00458812", "")
    assert "oAbCdEfGhIjKlMnOpQrStUvWxYz1" not in masked
    assert "[email]" in masked and "[phone]" in masked and "[openid]" in masked
    assert "C00012345" in masked and "T20261123SH00458812" in masked
