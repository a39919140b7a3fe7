"""Helpers of the e2e tests against the running local stack: starting it, its browser, its officials
and acting as a municipal site."""
