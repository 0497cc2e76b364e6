"""Importers: files the platforms produce, turned into conversations, follow-ups and sent replies.

base.py holds what they share (reading, problems, the per-file transaction, summary, progress bar);
play.py reads Google Play Console review exports, x.py reads X API v2 payloads. The management
commands import_play_reviews and import_x are the doors.
"""
