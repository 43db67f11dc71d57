// Banks: the list with statistics, a search over names, labels and signal values, the
// signals of one bank, creating a bank and uploading a hash list.
import { useState } from 'preact/hooks';
import { errorText, type Bank } from '../api';
import { ErrorBox, Loading, useLoad } from '../components';
import { formatTime } from '../clock';
import { useSession } from '../session';
import { mapConcurrent } from '../stats';

const FORMATS = [
  { value: 'plain', label: 'plain (one hash a line, optional ,labels)' },
  { value: 'te-csv', label: 'ThreatExchange CSV' },
  { value: 'hma', label: 'HMA' },
  { value: 'jsonl', label: 'JSON lines' },
  { value: 'stix', label: 'STIX 2.1' },
];
const TYPES = ['pdq', 'md5', 'sha256', 'vpdq', 'tmk', 'audio', 'text', 'url'];

export function matchesBank(b: Bank, q: string): boolean {
  if (!q) return true;
  const s = q.toLowerCase();
  return (
    b.name.toLowerCase().includes(s) ||
    (b.description ?? '').toLowerCase().includes(s) ||
    b.owner_org.toLowerCase().includes(s) ||
    Object.keys(b.stats?.live_by_label ?? {}).some((l) => l.toLowerCase().includes(s))
  );
}

function Signals(props: { bank: string }) {
  const { api } = useSession();
  const [label, setLabel] = useState('');
  const [value, setValue] = useState('');
  const load = useLoad(() => api.signals(props.bank, { label: label || undefined, limit: 500 }), [props.bank, label]);
  const shown = (load.data?.signals ?? []).filter((s) => !value || s.value.toLowerCase().includes(value.toLowerCase()));
  return (
    <div class="card">
      <h3>Signals in {props.bank}</h3>
      <div class="form-row">
        <label>
          Label
          <input type="search" value={label} onChange={(e) => setLabel((e.target as HTMLInputElement).value)} placeholder="severity:crisis" />
        </label>
        <label>
          Hash contains
          <input type="search" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      {load.error !== undefined && <ErrorBox error={load.error} />}
      {!load.data && load.error === undefined && <Loading />}
      {load.data && (
        <div class="table-wrap">
          <table data-testid="signals">
            <caption class="muted">
              {shown.length} shown (first 500 of version {load.data.version})
            </caption>
            <thead>
              <tr>
                <th scope="col">id</th>
                <th scope="col">type</th>
                <th scope="col">value</th>
                <th scope="col">labels</th>
                <th scope="col">exchange</th>
                <th scope="col">added</th>
              </tr>
            </thead>
            <tbody>
              {shown.slice(0, 200).map((s) => (
                <tr key={s.id}>
                  <td>{s.id}</td>
                  <td>{s.type}</td>
                  <td>
                    <code class="wrap">{s.value}</code>
                  </td>
                  <td>{s.labels.join(', ') || '–'}</td>
                  <td>{s.source_exchange || '–'}</td>
                  <td>{formatTime(s.added_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function Upload(props: { banks: Bank[]; onDone: () => void }) {
  const { api } = useSession();
  const [bank, setBank] = useState(props.banks[0]?.name ?? '');
  const [format, setFormat] = useState('plain');
  const [type, setType] = useState('pdq');
  const [text, setText] = useState('');
  const [message, setMessage] = useState('');
  return (
    <form
      class="card"
      aria-labelledby="upload-h"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          const r = await api.importBank(bank, format, text, format === 'plain' ? type : undefined);
          setMessage(`Imported into ${bank}: ${r.added} added, ${r.merged} merged, ${r.unchanged} unchanged.`);
          setText('');
          props.onDone();
        } catch (err) {
          setMessage(`Not imported: ${errorText(err)}`);
        }
      }}
    >
      <h2 id="upload-h">Upload a hash list</h2>
      <div class="form-row">
        <label>
          Bank
          <select value={bank} onChange={(e) => setBank((e.target as HTMLSelectElement).value)} required>
            {props.banks.map((b) => (
              <option key={b.name}>{b.name}</option>
            ))}
          </select>
        </label>
        <label>
          Format
          <select value={format} onChange={(e) => setFormat((e.target as HTMLSelectElement).value)}>
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        {format === 'plain' && (
          <label>
            Signal type
            <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
              {TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          File
          <input
            type="file"
            onChange={async (e) => {
              const f = (e.target as HTMLInputElement).files?.[0];
              if (f) setText(await f.text());
            }}
          />
        </label>
      </div>
      <label class="block">
        Contents
        <textarea rows={5} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} spellcheck={false} required />
      </label>
      <button type="submit" class="primary" disabled={!bank}>
        Upload
      </button>
      <p role="status" aria-live="polite" data-testid="upload-message">
        {message}
      </p>
    </form>
  );
}

function CreateBank(props: { onDone: () => void }) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [message, setMessage] = useState('');
  return (
    <form
      class="card"
      aria-labelledby="create-bank-h"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.createBank(name, description);
          setMessage(`Created bank ${name}.`);
          setName('');
          props.onDone();
        } catch (err) {
          setMessage(`Not created: ${errorText(err)}`);
        }
      }}
    >
      <h2 id="create-bank-h">New bank</h2>
      <div class="form-row">
        <label>
          Name
          <input type="text" pattern="[A-Za-z0-9._\-]{1,64}" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Description
          <input type="text" value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Create</button>
      </div>
      <p role="status">{message}</p>
    </form>
  );
}

export function BanksPage() {
  const { api, can } = useSession();
  // The list has no statistics; each bank's own answer has them (a few banks per org).
  const load = useLoad(async () => {
    const list = await api.banks();
    return mapConcurrent(list.slice(0, 100), 4, (b) => api.bank(b.name).catch(() => b)).then((detailed) => [
      ...detailed,
      ...list.slice(100),
    ]);
  }, []);
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const banks = (load.data ?? []).filter((b) => matchesBank(b, q));
  return (
    <section>
      <h1>Banks</h1>
      <label class="search">
        Search banks (name, description, owner, label)
        <input type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      </label>
      {load.error !== undefined && <ErrorBox error={load.error} />}
      {!load.data && load.error === undefined && <Loading />}
      {load.data && (
        <div class="table-wrap">
          <table data-testid="banks">
            <thead>
              <tr>
                <th scope="col">bank</th>
                <th scope="col">owner</th>
                <th scope="col">scope</th>
                <th scope="col">live signals</th>
                <th scope="col">by type</th>
                <th scope="col">version</th>
                <th scope="col">updated</th>
              </tr>
            </thead>
            <tbody>
              {banks.map((b) => (
                <tr key={b.id}>
                  <th scope="row">
                    <button type="button" class="link" aria-expanded={open === b.name} onClick={() => setOpen(open === b.name ? null : b.name)}>
                      {b.name}
                    </button>
                    <div class="muted small">{b.description}</div>
                  </th>
                  <td>{b.owner_org}</td>
                  <td>{b.scope}</td>
                  <td>{b.stats?.live ?? '–'}</td>
                  <td>
                    {Object.entries(b.stats?.live_by_type ?? {})
                      .map(([t, n]) => `${t} ${n}`)
                      .join(', ') || '–'}
                  </td>
                  <td>{b.version}</td>
                  <td>{formatTime(b.updated_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && <Signals bank={open} />}
      {can('bank.write') && load.data && <Upload banks={load.data} onDone={load.reload} />}
      {can('bank.write') && <CreateBank onDone={load.reload} />}
    </section>
  );
}
