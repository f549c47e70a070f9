"""Generating takes: the provider interface, the providers, the job ledger and the scheduler.

:mod:`.base` defines what every provider is (submit, poll, fetch, cancel, estimate cost) and the
typed failures the scheduler acts on; :mod:`.providers` holds one small module per provider. Stills
(:mod:`.images`) and hosted voice lines (:mod:`.voices`) are jobs of their own kinds, landed at a destination
through the same ledger and driver.
"""
