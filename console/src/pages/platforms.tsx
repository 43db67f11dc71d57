// The platform registry (data/platforms.json as the server has it): hosting services, their
// domains and referral channels.
import { useState } from 'preact/hooks';
import { ErrorBox, Loading, useLoad } from '../components';
import { useSession } from '../session';

export function PlatformsPage() {
  const { api } = useSession();
  const load = useLoad(() => api.platforms(), []);
  const [q, setQ] = useState('');
  const s = q.toLowerCase();
  const list = (load.data ?? []).filter(
    (p) => !s || p.id.includes(s) || p.name.toLowerCase().includes(s) || (p.domains ?? []).some((d) => d.includes(s)),
  );
  return (
    <section>
      <h1>Platform registry</h1>
      {load.error !== undefined && <ErrorBox error={load.error} what="The platform registry" />}
      {!load.data && load.error === undefined && <Loading />}
      {load.data && (
        <>
          <label class="search">
            Search (id, name, domain)
            <input type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
          </label>
          <div class="table-wrap">
            <table data-testid="platforms">
              <thead>
                <tr>
                  <th scope="col">id</th>
                  <th scope="col">name</th>
                  <th scope="col">operator</th>
                  <th scope="col">category</th>
                  <th scope="col">domains</th>
                  <th scope="col">referral</th>
                  <th scope="col">TCO hosting service</th>
                </tr>
              </thead>
              <tbody>
                {list.map((p) => (
                  <tr key={p.id}>
                    <th scope="row">{p.id}</th>
                    <td>{p.name}</td>
                    <td>{p.operator || '–'}</td>
                    <td>{(p.category ?? '').replace(/_/g, ' ')}</td>
                    <td>{(p.domains ?? []).join(', ')}</td>
                    <td>{(p.referral ?? []).join(', ').replace(/_/g, ' ')}</td>
                    <td>{p.tco_hosting_service ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
