"""Finishing the film: the sound and words that go with the picture (DESIGN §6b).

- :mod:`shotreel.finishing.voices`: a scratch voice clip for every dialogue line (eSpeak NG, offline; a hosted
  voice's clip where a character has one, made on request through the generation engine), placed at its
  record frame, rebuilt only when its line, voice or timing changes;
- :mod:`shotreel.finishing.espeak`: eSpeak NG through the library the ``espeakng-loader`` wheel ships;
- :mod:`shotreel.finishing.audio`: reading sound files (any rate, any format ffmpeg reads) as 48 kHz
  samples, writing WAVs, measuring loudness and true peak (ITU-R BS.1770 through ffmpeg's ``ebur128``);
- :mod:`shotreel.finishing.mix`: dialogue over the ducked music bed and the effects, normalised to a
  loudness target, exactly as long as the cut;
- :mod:`shotreel.finishing.captions`: SRT and WebVTT from the dialogue timings, with the caption rules;
- :mod:`shotreel.finishing.provenance`: the takes the cut uses, with the provider and model of each;
- :mod:`shotreel.finishing.disclosure`: what a generative AI model made and what software made without one
  (IPTC digital source types), for the card, the credits, the file's tags and the credential alike;
- :mod:`shotreel.finishing.titles`: the title card and the credits;
- :mod:`shotreel.finishing.credentials`: the C2PA content credential, signed and read back;
- :mod:`shotreel.finishing.export`: the finished film (web, review, master) in one ffmpeg run.
"""
