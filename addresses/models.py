"""The highest number ever used under each address prefix, so that a new building or room takes the next
one and no number is ever given twice, even after the address that had it was deleted.

A unified address code is a prefix plus a number: a building is village (12 digits) + 00001-99999, a
room is building (17) + unit (2) + floor (3) + 001-999 (domain.md, layers/models.py). The buildings
and rooms themselves live in `layers`; this table only remembers numbers. It is raised by:

- allocation (addresses/allocate.py), which also looks at the highest code that exists, so addresses
  written without it (the demo loader's COPY, the admin) are never allocated again;
- imports of rows that carry their own code (the register's numbers count as used);
- a statement trigger on every delete from layers_building and layers_room
  (addresses/sql/functions/counters.sql), so a deleted address's number stays used.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AddressCounter(models.Model):
    prefix = models.CharField(max_length=22, primary_key=True,
                              help_text="village code (12 digits) for buildings; building+unit+floor (22) for rooms")
    last = models.PositiveIntegerField(help_text="the highest number used under the prefix, ever")

    class Meta:
        verbose_name = _("address counter")
        verbose_name_plural = _("address counters")
        constraints = [models.CheckConstraint(condition=models.Q(prefix__regex=r"^([0-9]{12}|[0-9]{22})$"),
                                              name="address_counter_prefix_digits")]

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"
