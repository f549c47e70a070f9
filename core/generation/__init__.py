"""Generating takes: the provider interface, the providers, the job ledger and the scheduler.

:mod:`.base` defines what every provider is (submit, poll, fetch, cancel, estimate cost) and the
typed failures the scheduler acts on; :mod:`.providers` holds one small module per provider.
"""
