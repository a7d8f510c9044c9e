"""The jobs the window and the command line both run (no Qt here).

A job is a generator: every yield is a progress report (a training ``Progress`` with the live map's
coordinates, or a line of text) and a point where it may be paused or cancelled; its ``return``
value is the result. The window runs a job on its one worker and draws the reports; the command
line (:mod:`embedstudio.cli`) pulls the same generator and prints them, so a behaviour fixed in a
job is fixed in both. One module per workflow:

- :mod:`live`       the loop every training shares: checkpoints, resume, the live map's layout
- :mod:`loading`    opening files: sniffing, reading, the first map of a vectors file
- :mod:`word2vec`, :mod:`graph`, :mod:`poincare`, :mod:`starspace`, :mod:`extrinsic`
"""
