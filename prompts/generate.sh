#!/bin/sh
# Regenerates the example prompts: speech from espeak-ng, converted by sox to the
# only format the gateway loads (8 kHz, mono, 16-bit PCM WAV).
# Needs Debian's `espeak-ng` and `sox`. Real deployments record their own prompts.
set -eu
cd "$(dirname "$0")"
say() { # lang voice name text
    mkdir -p "$1"
    espeak-ng -v "$2" -s 150 -w "/tmp/mhero-prompt-$$.wav" "$4"
    sox "/tmp/mhero-prompt-$$.wav" -r 8000 -c 1 -b 16 "$1/$3.wav" norm -3
    rm -f "/tmp/mhero-prompt-$$.wav"
}
say eng en welcome "Welcome to m Hero."
say eng en menu "Press 1 for yes, or 2 for no."
say fra fr welcome "Bienvenue sur m Hero."
say fra fr menu "Appuyez sur 1 pour oui, ou 2 pour non."
