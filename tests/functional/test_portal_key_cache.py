"""The portal key's record is kept briefly in the process (it is read on every request of a
municipal site), against moto: a revocation written by another process is seen once the cache's
time is over, and at once after `forget` (what the console's rotation does in its own process)."""

from __future__ import annotations

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.municipalities_repo import PortalKeyRepository
from chalicelib.adapters.municipality_admin_repo import MunicipalityAdminRepository
from chalicelib.services.portal import issue_portal_key


def test_a_revoked_key_is_seen_after_the_cache_time_or_at_once_after_forget(demo_stack):
    table = wiring.data_table()
    cached, uncached = PortalKeyRepository(table, cache_ttl_s=60), PortalKeyRepository(table, cache_ttl_s=0)
    key_id = issue_portal_key("13101", cached, created_at="2026-12-05T00:00:00+00:00").split("_")[2]
    assert cached.get("13101", key_id)["status"] == "active"
    audit = {"pk": table_keys.audit("13101", "2026-12"), "sk": "2026-12-05T00:00:01#t", "action": "portal_key.rotate"}
    MunicipalityAdminRepository(table).revoke_portal_keys("13101", [key_id], at="2026-12-05T00:00:01+00:00",
                                                          audit=audit)  # another process's console
    assert cached.get("13101", key_id)["status"] == "active"  # within the cache's time
    assert uncached.get("13101", key_id)["status"] == "revoked"  # once the time is over
    cached.forget("13101", [key_id])
    assert cached.get("13101", key_id)["status"] == "revoked"
    assert cached.get("13101", "00000000") is None
