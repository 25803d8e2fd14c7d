"""The command desk: departments, supervision (督办), escalation with a target, mediation (三调联动).

models.py holds the data (imported by layers/models.py), departments.py the seeded kinds of county
bodies, scope.py what a department account may see, steps.py the desk's actions on a matter, and
layers/figures/desk.py the figures.
"""
