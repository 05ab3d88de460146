// A real SMTP server for the netns tests, started inside a director's namespace on its loopback
// (`node smtp-sink.js PORT`): prints `listening`, then one JSON line per message received.
import { SMTPServer } from 'smtp-server';

const port = Number(process.argv[2] ?? '2525');
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  // Bounded: a test sends a handful of messages.
  maxClients: 8,
  size: 64 * 1024,
  onData(stream, session, callback) {
    let data = '';
    stream.on('data', (c: Buffer) => (data += c.toString()));
    stream.on('end', () => {
      const to = session.envelope.rcptTo.map((r) => r.address);
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      process.stdout.write(JSON.stringify({ from, to, data }) + '\n');
      callback();
    });
  },
});
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
