# A consola, em português. Cada chave existe também em en, fr e sw.

product-tagline = mensagens para os profissionais de saúde
skip-to-content = Ir para o conteúdo principal
nav-label = Menu principal
nav-home = Início
nav-audit = Registo de ações
nav-accounts = Contas
nav-my-account = A minha conta
nav-language = Língua
logout = Sair
footer-timezone = Todas as horas estão no fuso de { $zone }.

## Erros
error-go-home = Voltar ao início
error-go-login = Ir para a página de entrada
error-code = Código de erro { $code }
error-401-title = Por favor, entre
error-401-text = Não entrou, ou a sua sessão terminou. Entre e tente de novo.
error-403-title = Não permitido
error-403-text = A sua conta não pode fazer isto. Peça a um administrador se precisar.
error-csrf-text = Este formulário expirou ou não veio deste site, por isso nada foi alterado. Volte atrás, recarregue a página e tente de novo.
error-csrf-login-text = O formulário de entrada expirou. Recarregue a página e entre de novo.
error-404-title = Página não encontrada
error-404-text = Não há nenhuma página neste endereço. Verifique o endereço, ou comece pelo início.
error-429-title = Demasiadas tentativas
error-429-text = Houve demasiadas entradas falhadas. Pode tentar de novo em { $time }.
error-429-minutes = Isso é daqui a cerca de { $minutes } minutos.
error-500-title = Algo correu mal
error-500-text = A plataforma não conseguiu terminar este pedido. Nada se perdeu; tente de novo daqui a pouco. O problema foi registado.
error-not-found = Este item já não existe.
form-has-errors = Nada foi guardado. Corrija os campos assinalados abaixo.
error-check-field = Verifique este campo

## Entrar
login-title = Entrar
login-intro = Entre para enviar mensagens aos profissionais de saúde e acompanhar as suas respostas.
label-username = Nome de utilizador
label-password = Palavra-passe
login-submit = Entrar
login-help = Esqueceu a palavra-passe? Peça a um administrador para a repor.
login-failed = O nome de utilizador ou a palavra-passe está errado.

## Palavras-passe
password-title = Mudar a sua palavra-passe
password-forced = Esta palavra-passe foi escolhida por outra pessoa. Escolha agora a sua própria palavra-passe para continuar.
label-current-password = Palavra-passe atual
label-new-password = Nova palavra-passe
label-confirm-password = Nova palavra-passe outra vez
password-rules = Pelo menos 10 caracteres. Algumas palavras de que se vai lembrar são uma boa escolha.
password-submit = Mudar a palavra-passe
password-confirm-differs = As duas novas palavras-passe não são iguais.
password-too-short = A palavra-passe deve ter pelo menos 10 caracteres.
password-too-long = A palavra-passe deve ter no máximo 200 caracteres.
password-is-username = A palavra-passe não pode ser o nome de utilizador.
password-common = Esta palavra-passe é demasiado comum. Escolha outra.
password-current-wrong = Esta não é a sua palavra-passe atual.
password-same = A nova palavra-passe deve ser diferente da atual.

## Problemas nos campos
username-length = O nome de utilizador deve ter de 1 a 64 caracteres.
username-characters = Use apenas letras minúsculas, algarismos, pontos, hífenes e sublinhados.
username-taken = Este nome de utilizador já está a ser usado. Escolha outro.
username-hint = Letras minúsculas, algarismos, pontos, hífenes e sublinhados, por exemplo amina.juma
token-name-characters = Use apenas letras, algarismos, pontos, hífenes e sublinhados.
token-name-taken = Já existe um token com este nome. Escolha outro nome.
display-name-length = O nome deve ter de 1 a 100 caracteres.
last-admin = Esta é a última conta de administrador. Faça primeiro de outra conta um administrador.
language-unknown = Escolha uma das línguas da lista.
role-unknown = Escolha uma das funções da lista.

## Funções
role-viewer = Leitor
role-sender = Remetente
role-admin = Administrador
role-hint = Os leitores só podem consultar. Os remetentes também podem enviar mensagens e gerir profissionais de saúde e grupos. Os administradores também podem gerir contas e definições.

## Início
home-title = Visão geral
home-links = Ligações às operadoras
link-up = A funcionar
link-off = Desligada
link-down = Sem funcionar
link-rate = { $rate } mensagens por segundo
link-no-limit = Sem limite de velocidade
home-today = Mensagens de hoje
home-today-none = Nenhuma mensagem foi enviada hoje.
home-today-total = Mensagens enviadas hoje: { $count }
col-status = Estado
col-messages = Mensagens
home-sends = Últimos envios
home-sends-none = Ainda não foi enviado nada.
col-message = Mensagem
col-recipients = Destinatários
col-delivered = Entregues
col-failed = Falhadas
col-created = Criado
col-name = Nome
col-actions = Ações
col-state = Estado

## Estados
status-pending = À espera
status-scheduled = Agendado
status-recurring = Repetido
status-sending = A enviar
status-completed = Terminado
status-cancelled = Cancelado
status-queued = Em fila
status-wired = A enviar
status-sent = Enviada
status-delivered = Entregue
status-errored = Nova tentativa prevista
status-failed = Falhada
status-expired = Expirada
status-handled = Tratada

## A minha conta
account-title = A minha conta
label-display-name = Nome
label-role = Função
account-password = Palavra-passe
account-change-password = Mudar a minha palavra-passe
account-language = Língua
label-language = Língua da consola
language-browser = A língua do navegador
save = Guardar
account-tokens = Tokens da API
account-tokens-intro = Um token permite que outro programa use a API da plataforma em seu nome, com a sua função ({ $role }). Deixa de funcionar se a sua conta for desativada.
token-created = O token { $name } foi criado. Copie-o agora: não voltará a ser mostrado.
copy = Copiar
account-tokens-none = Não tem tokens da API.
token-revoke-confirm = Revogar o token { $name }? Os programas que o usam deixarão de funcionar.
token-revoke = Revogar
label-token-name = Nome de um novo token
token-name-hint = Para que serve, por exemplo exportar-relatorios
token-create = Criar token

## Contas
accounts-title = Contas
accounts-password-shown = A palavra-passe de { $username } é:
accounts-password-once = Entregue-a à pessoa de forma segura. Só é mostrada esta vez, e a pessoa deve mudá-la na primeira entrada.
accounts-count = Contas: { $count }
accounts-role-of = Função de { $username }
accounts-change-role = Mudar a função
state-disabled = Desativada
state-must-change = Deve mudar a palavra-passe
state-active = Ativa
accounts-enable = Ativar
accounts-disable = Desativar
accounts-disable-confirm = Desativar a conta { $username }? A pessoa sairá da sessão e os seus tokens deixarão de funcionar.
accounts-reset-confirm = Criar uma nova palavra-passe para { $username }? A antiga deixará de funcionar.
accounts-reset = Nova palavra-passe
accounts-new = Nova conta
accounts-new-intro = É criada uma primeira palavra-passe para a nova conta, mostrada uma única vez.
accounts-create = Criar conta

## Registo de ações
audit-title = Registo de ações
audit-intro = Cada alteração feita pela consola, pela API ou pela linha de comandos: quem a fez, quando, e o que mudou.
audit-who = Quem
audit-action = Ação
audit-target = Alvo
filter = Filtrar
audit-none = Nada corresponde.
audit-when = Quando
audit-result = Resultado
audit-change = Alteração
audit-ok = Feito
audit-refused = Recusado
audit-failed = Falhou
audit-show-change = Mostrar
audit-before = Antes
audit-after = Depois
older = Entradas mais antigas

## Mensagens depois de uma ação
flash-password-changed = A sua palavra-passe foi mudada.
flash-account-created = A conta foi criada.
flash-account-updated = A conta foi alterada.
flash-password-reset = Foi criada uma nova palavra-passe.
flash-language-saved = A sua língua foi guardada.
flash-token-revoked = O token foi revogado.
flash-logged-out = Saiu da sessão.

## Assistente de envio
nav-send = Enviar
flash-send-accepted = A sua mensagem foi aceite para envio.
send-title = Enviar uma mensagem
send-steps = Passos
send-step-recipients = Quem a recebe
send-step-message = A mensagem
send-step-review = Verificar e enviar
send-kind = O que enviar
send-kind-broadcast = Uma mensagem de texto
send-kind-flow = Um fluxo (perguntas e respostas)
send-flow = Fluxo
send-skip-in-flow = Para um fluxo: deixar de fora os profissionais de saúde que já estão num fluxo
send-groups = Grupos
send-recipients-hint = Escolha grupos, um filtro ou números de telefone (ou vários).
send-no-groups = Ainda não há grupos.
send-members = { $count } profissionais de saúde
send-query = Filtrar por campos
send-query-hint = Por exemplo: district = "Kilosa" and cadre = "nurse"
send-numbers = Números de telefone
send-numbers-hint = Um por linha, por exemplo +255712345678.
send-next = Seguinte
send-back = Voltar
send-message-intro = Escreva a mensagem em cada língua que os seus profissionais de saúde leem. Uma mensagem longa é enviada em várias partes.
send-text-in = Mensagem em { $language }
send-chars-one = { $count } carácter
send-chars-other = { $count } caracteres
send-parts-one = 1 parte (até { $size } caracteres)
send-parts-other = { $count } partes de { $size } caracteres cada
send-ucs2-because = Estes caracteres tornam cada parte mais curta (70 em vez de 160):
send-health-workers-one = { $count } profissional de saúde recebe este texto
send-health-workers-other = { $count } profissionais de saúde recebem este texto
send-review-who = Quem a recebe
send-will-receive-one = { $count } profissional de saúde vai recebê-la
send-will-receive-other = { $count } profissionais de saúde vão recebê-la
send-will-start-one = { $count } profissional de saúde vai começar o fluxo
send-will-start-other = { $count } profissionais de saúde vão começar o fluxo
send-excluded-opted-out-one = { $count } cancelou a subscrição
send-excluded-opted-out-other = { $count } cancelaram a subscrição
send-excluded-blocked-one = { $count } está bloqueado
send-excluded-blocked-other = { $count } estão bloqueados
send-excluded-no-phone-one = { $count } não tem número de telefone
send-excluded-no-phone-other = { $count } não têm número de telefone
send-excluded-duplicate-one = { $count } foi escolhido duas vezes e recebe uma só mensagem
send-excluded-duplicate-other = { $count } foram escolhidos duas vezes e recebem uma só mensagem
send-excluded-in-flow-one = { $count } já está num fluxo
send-excluded-in-flow-other = { $count } já estão num fluxo
send-review-messages = Mensagens por língua
send-col-language = Língua
send-col-workers = Profissionais de saúde
send-col-encoding = Codificação
send-col-chars = Caracteres
send-col-parts = Partes por mensagem
send-col-parts-total = Partes no total
send-col-ucs2 = Caracteres que exigem UCS-2
send-review-links = Ligações às operadoras
send-col-link = Ligação
send-col-rate = Velocidade
send-no-link = nenhuma ligação a funcionar agora
send-rate = { $rate } partes por segundo
send-rate-unlimited = sem limite
send-eta = O envio vai demorar { $duration }.
send-eta-flow = O tempo depende das respostas.
send-eta-unknown = O tempo não pode ser estimado enquanto uma ligação à operadora não funciona.
duration-seconds = cerca de { $count } segundos
duration-minutes = cerca de { $count } minutos
duration-hours = cerca de { $count } horas
send-hours-note = As mensagens só são enviadas entre { $hours }, hora local. O envio começa { $start }.
send-cost = Custo estimado: { $amount }
send-when = Quando enviar
send-when-now = Agora
send-when-at = Numa data e hora
send-at = Data e hora ({ $zone })
send-when-daily = Todos os dias
send-daily = Hora do dia ({ $zone })
send-send = Enviar
send-at-bad = Indique uma data e uma hora.
send-daily-bad = Indique uma hora, por exemplo 08:30.
send-no-recipients = Escolha pelo menos um grupo, um filtro ou um número de telefone.
send-nobody = Ninguém a pode receber: todos os profissionais de saúde escolhidos cancelaram a subscrição, estão bloqueados ou não têm número.
send-text-empty = Escreva a mensagem.
