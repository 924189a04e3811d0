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
# The voice quiz (flows/voice_quiz.json).
say eng en quiz_welcome "Welcome to the m Hero health quiz."
say eng en quiz_q1 "Question one. Should a child with diarrhoea be given oral rehydration salts? Press 1 for yes, or 2 for no."
say eng en quiz_q2 "Question two. How many doses of the pentavalent vaccine does an infant need? Enter the number, then press hash."
say eng en quiz_thanks "Thank you. Goodbye."
say fra fr quiz_welcome "Bienvenue au quiz de santé m Hero."
say fra fr quiz_q1 "Question un. Faut-il donner des sels de réhydratation orale à un enfant qui a la diarrhée ? Appuyez sur 1 pour oui, ou 2 pour non."
say fra fr quiz_q2 "Question deux. Combien de doses du vaccin pentavalent un nourrisson doit-il recevoir ? Tapez le nombre, puis dièse."
say fra fr quiz_thanks "Merci. Au revoir."
say swa sw quiz_welcome "Karibu kwenye jaribio la afya la m Hero."
say swa sw quiz_q1 "Swali la kwanza. Je, mtoto anayeharisha apewe chumvi za kurejesha maji mwilini, yaani ORS? Bonyeza 1 kwa ndiyo, au 2 kwa hapana."
say swa sw quiz_q2 "Swali la pili. Mtoto mchanga anahitaji dozi ngapi za chanjo ya pentavalenti? Weka namba, kisha bonyeza alama ya reli."
say swa sw quiz_thanks "Asante. Kwaheri."
say por pt quiz_welcome "Bem-vindo ao questionário de saúde m Hero."
say por pt quiz_q1 "Pergunta um. Deve dar-se sais de reidratação oral a uma criança com diarreia? Prima 1 para sim, ou 2 para não."
say por pt quiz_q2 "Pergunta dois. De quantas doses da vacina pentavalente precisa um bebé? Marque o número e depois prima a tecla cardinal."
say por pt quiz_thanks "Obrigado. Adeus."
