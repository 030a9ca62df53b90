"""Hooks that areas sends and higher packages answer (see ``fieldwork.core.hooks``)."""

from __future__ import annotations

from blinker import Namespace

hooks = Namespace()

#: Sent before a neighbourhood is deleted (sender: the Neighbourhood). A receiver answers True
#: when its records still refer to it (signals: residents and signals; routing: rules), and
#: the neighbourhood is then kept.
neighbourhood_in_use = hooks.signal("neighbourhood-in-use")

#: Sent when a coordinator placed an address that could not be located (sender: the
#: AddressFixup, ``sector=``: the chosen Sector). The receiver that owns the record named by
#: ``fixup.source_type`` / ``source_id`` moves it to the sector (signals: a resident and their
#: signals; visits: a visit address). Flush, no commit.
fixup_resolved = hooks.signal("address-fixup-resolved")
