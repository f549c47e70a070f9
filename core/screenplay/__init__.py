"""Screenplays (Fountain, Final Draft) read into scenes, beats, shots and dialogue."""
