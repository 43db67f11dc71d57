// The audit log (auditors and admins): entries in sequence order, paged, and a check of the
// whole hash chain.
import { useState } from 'preact/hooks';
import { errorText } from '../api';
import { ErrorBox, Loading, useLoad } from '../components';
import { formatTime } from '../clock';
import { useSession } from '../session';

const PAGE = 100;

export function AuditPage() {
  const { api } = useSession();
  const [after, setAfter] = useState<number[]>([0]);
  const load = useLoad(() => api.audit(after[after.length - 1], PAGE), [after]);
  const [verify, setVerify] = useState('');
  const [filter, setFilter] = useState('');
  const entries = (load.data?.entries ?? []).filter(
    (e) => !filter || `${e.actor} ${e.action} ${e.target}`.toLowerCase().includes(filter.toLowerCase()),
  );
  return (
    <section>
      <div class="title-row">
        <h1>Audit log</h1>
        <button
          type="button"
          onClick={async () => {
            setVerify('Verifying…');
            try {
              const v = await api.verifyAudit();
              setVerify(v.ok ? `Chain intact: ${v.entries} entries, head ${v.head_hash.slice(0, 16)}…` : `Chain BROKEN: ${v.problem}`);
            } catch (e) {
              setVerify(errorText(e));
            }
          }}
        >
          Verify the chain
        </button>
      </div>
      <p role="status" aria-live="polite" data-testid="verify">
        {verify}
      </p>
      <label class="search">
        Filter this page (actor, action, target)
        <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      </label>
      {load.error !== undefined && <ErrorBox error={load.error} />}
      {!load.data && load.error === undefined && <Loading />}
      {load.data && (
        <>
          <div class="table-wrap">
            <table data-testid="audit">
              <thead>
                <tr>
                  <th scope="col">seq</th>
                  <th scope="col">time</th>
                  <th scope="col">actor</th>
                  <th scope="col">action</th>
                  <th scope="col">target</th>
                  <th scope="col">hash</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.seq}>
                    <td>{e.seq}</td>
                    <td>{formatTime(e.at_ms)}</td>
                    <td>{e.actor}</td>
                    <td>{e.action}</td>
                    <td>
                      <code class="wrap">{e.target}</code>
                    </td>
                    <td>
                      <code title={e.hash}>{e.hash.slice(0, 12)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="pager">
            <button type="button" disabled={after.length < 2} onClick={() => setAfter(after.slice(0, -1))}>
              Previous page
            </button>
            <button
              type="button"
              disabled={(load.data.entries.length ?? 0) < PAGE}
              onClick={() => setAfter([...after, load.data!.next_after_seq])}
            >
              Next page
            </button>
          </div>
        </>
      )}
    </section>
  );
}
