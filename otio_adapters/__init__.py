"""OTIO plugin for shotreel projects."""
