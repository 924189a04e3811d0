#!/usr/bin/env node
// SMSC simulator for mhero's SMPP integration tests, on node-smpp (an
// independent SMPP implementation). Listens on 127.0.0.1 only.
//
// Options (all optional):
//   --port N                 port to listen on (0 = any free port; printed)
//   --system-id S --password P   credentials to accept (default mhero / secret)
//   --resp-delay-ms N        delay every submit_sm_resp
//   --throttle-above N       answer ESME_RTHROTTLED (0x58) above N submit_sm per second
//   --receipts MODE          none | tlv | text (default tlv: TLVs plus the text form)
//   --receipt-stat STAT      stat in receipts (default DELIVRD)
//   --receipt-first          send the receipt before the submit_sm_resp
//   --hex-ids                message ids as zero-padded upper-case hex
//   --receipt-ids-decimal    receipts carry the id in decimal (with --hex-ids)
//   --already-bound N        answer the first N binds with ESME_RALYBND (0x05)
//   --queue-full N           answer the first N submit_sm with ESME_RMSGQFUL (0x14)
//   --fail-submits N,M       answer the Nth, Mth… submit_sm (1-based) with ESME_RSYSERR (0x08)
//   --first-id N             first message id (default 4096); a restarted SMSC given a new
//                            range never reuses the ids of the one before
//
// Control: one JSON object per line on stdin:
//   {"cmd":"mo","from":"255712345678","to":"15555","text":"...","coding":"gsm"|"ucs2","order":[2,1],"ref":N}
//     a long text goes as concatenated parts: "order" picks which parts are sent, in
//     what order (a number twice sends that part twice), "ref" fixes the UDH reference
//     (else random) so one message's parts can be sent by several commands
//   {"cmd":"data_sm","from":"255712345678","text":"...","coding":"gsm"|"ucs2"}
//   {"cmd":"malformed","kind":"body"|"unknown"|"length"}
//   {"cmd":"enquire"}
//   {"cmd":"crash"}   exit at once, between two PDUs: every submit reported so far was answered
// Events: one JSON object per line on stdout ({"event":"listening","port":N} first).
'use strict';

const smpp = require('smpp');
const readline = require('readline');

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0) return dflt;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}

const opts = {
  port: parseInt(arg('port', '0'), 10),
  systemId: arg('system-id', 'mhero'),
  password: arg('password', 'secret'),
  respDelay: parseInt(arg('resp-delay-ms', '0'), 10),
  throttleAbove: parseInt(arg('throttle-above', '0'), 10),
  receipts: arg('receipts', 'tlv'),
  receiptStat: arg('receipt-stat', 'DELIVRD'),
  receiptFirst: arg('receipt-first', false) === true,
  hexIds: arg('hex-ids', false) === true,
  receiptIdsDecimal: arg('receipt-ids-decimal', false) === true,
  alreadyBound: parseInt(arg('already-bound', '0'), 10),
  queueFull: parseInt(arg('queue-full', '0'), 10),
  failSubmits: String(arg('fail-submits', ''))
    .split(',')
    .filter((x) => x !== '')
    .map((x) => parseInt(x, 10)),
  firstId: parseInt(arg('first-id', '4096'), 10),
};
let bindsSeen = 0;
let submitsSeen = 0;

function emit(ev) {
  process.stdout.write(JSON.stringify(ev) + '\n');
}

let nextId = opts.firstId;
let second = 0;
let inSecond = 0;
const sessions = new Set();

function messageId() {
  const n = nextId++;
  if (opts.hexIds) return n.toString(16).toUpperCase().padStart(8, '0');
  return String(n);
}

function receiptId(id) {
  if (opts.hexIds && opts.receiptIdsDecimal) return String(parseInt(id, 16));
  return id;
}

function describeSm(pdu) {
  const sm = pdu.short_message || {};
  const udh = sm.udh && sm.udh.length ? Buffer.concat(sm.udh.map((u) => Buffer.from(u))).toString('hex') : '';
  const msg = typeof sm === 'string' ? sm : sm.message;
  const sar =
    pdu.sar_msg_ref_num !== undefined
      ? { ref: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, seq: pdu.sar_segment_seqnum }
      : null;
  return {
    seq: pdu.sequence_number,
    source: pdu.source_addr,
    dest: pdu.destination_addr,
    data_coding: pdu.data_coding,
    esm_class: pdu.esm_class,
    registered_delivery: pdu.registered_delivery,
    udh,
    sar,
    text: Buffer.isBuffer(msg) ? msg.toString('hex') : msg,
  };
}

function sendReceipt(session, pdu, id) {
  if (opts.receipts === 'none' || !(pdu.registered_delivery & 0x01)) return;
  const rid = receiptId(id);
  const text =
    'id:' + rid + ' sub:001 dlvrd:001 submit date:2611242200 done date:2611242201 stat:' +
    opts.receiptStat + ' err:000 text:';
  const states = { DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 };
  const dsm = {
    source_addr: pdu.destination_addr,
    destination_addr: pdu.source_addr,
    esm_class: 0x04,
    short_message: text,
  };
  if (opts.receipts === 'tlv') {
    dsm.receipted_message_id = rid;
    dsm.message_state = states[opts.receiptStat] || 7;
  }
  session.deliver_sm(dsm, (resp) => emit({ event: 'receipt_resp', id: rid, status: resp.command_status }));
}

function onSubmit(session, pdu) {
  const now = Math.floor(Date.now() / 1000);
  if (now !== second) {
    second = now;
    inSecond = 0;
  }
  inSecond++;
  submitsSeen++;
  if (submitsSeen <= opts.queueFull) {
    emit({ event: 'queue_full', seq: pdu.sequence_number });
    session.send(pdu.response({ command_status: 0x14 }));
    return;
  }
  if (opts.failSubmits.includes(submitsSeen)) {
    emit({ event: 'submit_failed', seq: pdu.sequence_number });
    session.send(pdu.response({ command_status: 0x08 }));
    return;
  }
  if (opts.throttleAbove > 0 && inSecond > opts.throttleAbove) {
    emit({ event: 'throttled', seq: pdu.sequence_number });
    session.send(pdu.response({ command_status: 0x58 }));
    return;
  }
  const id = messageId();
  emit(Object.assign({ event: 'submit', message_id: id }, describeSm(pdu)));
  const respond = () => {
    if (opts.receiptFirst) sendReceipt(session, pdu, id);
    session.send(pdu.response({ message_id: id }));
    if (!opts.receiptFirst) sendReceipt(session, pdu, id);
  };
  if (opts.respDelay > 0) setTimeout(respond, opts.respDelay);
  else respond();
}

const server = smpp.createServer({ debug: false }, (session) => {
  // An answer is on the wire once written, as carriers' SMSCs do it: with
  // Nagle's algorithm a killed simulator lost answers its kernel still
  // held, so a submit it reported taking was never acknowledged.
  session.socket.setNoDelay(true);
  session.on('error', (e) => emit({ event: 'session_error', error: String(e && e.message) }));
  for (const kind of ['bind_transmitter', 'bind_receiver', 'bind_transceiver']) {
    session.on(kind, (pdu) => {
      bindsSeen++;
      const credsOk = pdu.system_id === opts.systemId && pdu.password === opts.password;
      const ok = credsOk && bindsSeen > opts.alreadyBound;
      const status = !credsOk ? (pdu.system_id === opts.systemId ? 0x0e : 0x0f) : ok ? 0 : 0x05;
      emit({ event: 'bind', kind, system_id: pdu.system_id, ok, version: pdu.interface_version });
      session.send(pdu.response({ command_status: status, system_id: 'SIM' }));
      if (ok) {
        session.kind = kind;
        sessions.add(session);
      } else {
        setTimeout(() => session.close(), 50);
      }
    });
  }
  session.on('submit_sm', (pdu) => onSubmit(session, pdu));
  session.on('enquire_link', (pdu) => {
    emit({ event: 'enquire_link', seq: pdu.sequence_number });
    session.send(pdu.response());
  });
  session.on('unbind', (pdu) => {
    emit({ event: 'unbind' });
    session.send(pdu.response());
    setTimeout(() => session.close(), 20);
  });
  session.on('generic_nack', (pdu) =>
    emit({ event: 'generic_nack', seq: pdu.sequence_number, status: pdu.command_status })
  );
  session.on('close', () => {
    sessions.delete(session);
    emit({ event: 'close' });
  });
});

function receivers() {
  return [...sessions].filter((s) => s.kind !== 'bind_transmitter');
}

function splitText(text, coding) {
  const per = coding === 'ucs2' ? 67 : 153;
  const single = coding === 'ucs2' ? 70 : 160;
  const chars = [...text];
  if (chars.length <= single) return [chars.join('')];
  const parts = [];
  for (let i = 0; i < chars.length; i += per) parts.push(chars.slice(i, i + per).join(''));
  return parts;
}

function injectMo(cmd) {
  const session = receivers()[0];
  if (!session) return emit({ event: 'error', error: 'no receiver session' });
  const coding = cmd.coding === 'ucs2' ? 0x08 : 0x00;
  const parts = splitText(cmd.text, cmd.coding);
  const ref = Number.isInteger(cmd.ref) ? cmd.ref & 0xff : Math.floor(Math.random() * 255);
  const order = cmd.order || parts.map((_, i) => i + 1);
  for (const seq of order) {
    const base = {
      source_addr: cmd.from,
      source_addr_ton: 1,
      source_addr_npi: 1,
      destination_addr: cmd.to || '15555',
      data_coding: coding,
    };
    if (parts.length === 1) {
      base.short_message = parts[0];
    } else {
      base.esm_class = 0x40;
      base.short_message = { udh: Buffer.from([5, 0, 3, ref, parts.length, seq]), message: parts[seq - 1] };
    }
    session.deliver_sm(base, (resp) => emit({ event: 'mo_resp', part: seq, status: resp.command_status }));
  }
}

// An MO as data_sm, its text in the message_payload TLV.
function injectDataSm(cmd) {
  const session = receivers()[0];
  if (!session) return emit({ event: 'error', error: 'no receiver session' });
  session.data_sm(
    {
      source_addr: cmd.from,
      source_addr_ton: 1,
      source_addr_npi: 1,
      destination_addr: cmd.to || '15555',
      data_coding: cmd.coding === 'ucs2' ? 0x08 : 0x00,
      message_payload: cmd.text,
    },
    (resp) => emit({ event: 'data_sm_resp', status: resp.command_status })
  );
}

function malformed(kind) {
  for (const s of sessions) {
    let buf;
    if (kind === 'unknown') {
      // A well-formed PDU with a command_id no SMPP version defines.
      buf = Buffer.from([0, 0, 0, 16, 0, 0, 0x07, 0x77, 0, 0, 0, 0, 0, 0, 0, 99]);
    } else if (kind === 'length') {
      // command_length 8: below the 16-octet header, the stream cannot continue.
      buf = Buffer.from([0, 0, 0, 8, 0, 0, 0, 5, 0, 0, 0, 0]);
    } else {
      // A deliver_sm of 19 octets whose body is three bytes of garbage.
      buf = Buffer.from([0, 0, 0, 19, 0, 0, 0, 5, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0x01, 0x41, 0x42, 0x43]);
    }
    s.socket.write(buf);
  }
  emit({ event: 'malformed_sent', kind, sessions: sessions.size });
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    return emit({ event: 'error', error: 'bad control line' });
  }
  if (cmd.cmd === 'mo') injectMo(cmd);
  else if (cmd.cmd === 'data_sm') injectDataSm(cmd);
  else if (cmd.cmd === 'malformed') malformed(cmd.kind);
  else if (cmd.cmd === 'crash') process.exit(1);
  else if (cmd.cmd === 'enquire') {
    for (const s of sessions) s.enquire_link({}, (resp) => emit({ event: 'enquire_link_resp', status: resp.command_status }));
  } else emit({ event: 'error', error: 'unknown cmd' });
});

server.listen(opts.port, '127.0.0.1', () => emit({ event: 'listening', port: server.address().port }));
