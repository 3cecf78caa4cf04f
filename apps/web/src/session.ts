import type { User } from '@campusg/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from './api/client.ts';
import { keys, useMe } from './api/queries.ts';

/** The signed-in user; only for pages behind the sign-in guard. */
export function useUser(): User {
  const { data } = useMe();
  if (!data) throw new Error('useUser() outside a signed-in page');
  return data;
}

export const isRunner = (user: User): boolean => user.roles.includes('runner');

/** Signs in: the server sets the session cookie, the cache gets the user. */
export function useSignedIn() {
  const queryClient = useQueryClient();
  return (user: User) => {
    queryClient.clear();
    queryClient.setQueryData(keys.me, user);
  };
}

/** Signs out and forgets everything cached for the user. */
export function useSignOut() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return useMutation({
    mutationFn: api.auth.logout,
    onSettled: () => {
      queryClient.clear();
      queryClient.setQueryData(keys.me, null);
      navigate('/sign-in', { replace: true, state: { signedOut: true } });
    },
  });
}
